import { describe, expect, test } from 'bun:test';
import { toJsonSchema } from '@valibot/to-json-schema';
import * as v from 'valibot';
import {
  CharacterBatchSchema,
  CharacterDetailSchema,
  LLM_SCHEMAS,
  PostBatchSchema,
  PostDetailSchema,
  WorldDescriptionSchema,
  type LlmStep,
} from '../../src/schemas/llm';
import { llmJsonSchema } from '../../src/schemas/llm/json-schema';
import { character, concept, postConcept, postDetail, world } from '../prompts/fixtures';

type Json = Record<string, unknown>;

/** Every object node of a JSON Schema, with its JSON pointer. */
function objectNodes(node: unknown, pointer = '#', out: { pointer: string; node: Json }[] = []) {
  if (Array.isArray(node)) {
    node.forEach((child, i) => objectNodes(child, `${pointer}/${i}`, out));
  } else if (node !== null && typeof node === 'object') {
    const record = node as Json;
    if (record.type === 'object') out.push({ pointer, node: record });
    for (const [key, child] of Object.entries(record)) objectNodes(child, `${pointer}/${key}`, out);
  }
  return out;
}

const ALL_STEPS: LlmStep[] = [
  'world_description',
  'world_image_prompts',
  'character_batch',
  'character_detail',
  'avatar_prompt',
  'post_batch',
  'post_detail',
  'post_image_prompt',
];

describe('LLM output schemas → strict JSON Schema', () => {
  test('registry covers every step with the reference parameters', () => {
    expect(Object.keys(LLM_SCHEMAS).sort()).toEqual([...ALL_STEPS].sort());
    expect(LLM_SCHEMAS.world_description).toMatchObject({ temperature: 0.8, maxTokens: 4096 });
    expect(LLM_SCHEMAS.world_image_prompts).toMatchObject({ temperature: 0.7, maxTokens: 2048 });
    expect(LLM_SCHEMAS.character_batch).toMatchObject({ temperature: 0.9, maxTokens: 8192 });
    expect(LLM_SCHEMAS.character_detail).toMatchObject({ temperature: 0.8, maxTokens: 4096 });
    expect(LLM_SCHEMAS.avatar_prompt).toMatchObject({ temperature: 0.7, maxTokens: 2048 });
    expect(LLM_SCHEMAS.post_batch).toMatchObject({ temperature: 0.9, maxTokens: 6144 });
    expect(LLM_SCHEMAS.post_detail).toMatchObject({ temperature: 0.8, maxTokens: 4096 });
    expect(LLM_SCHEMAS.post_image_prompt).toMatchObject({ temperature: 0.7, maxTokens: 2048 });
    for (const step of ALL_STEPS) expect(LLM_SCHEMAS[step].name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
  });

  for (const step of ALL_STEPS) {
    test(`${step}: converts; every object is closed and requires all its keys; every field is described`, () => {
      const schema = toJsonSchema(LLM_SCHEMAS[step].schema) as Json;
      const objects = objectNodes(schema);
      expect(objects.length).toBeGreaterThan(0);
      for (const { pointer, node } of objects) {
        const keys = Object.keys(node.properties as Json).sort();
        expect({ pointer, additionalProperties: node.additionalProperties }).toEqual({
          pointer,
          additionalProperties: false,
        });
        expect({ pointer, required: [...((node.required as string[]) ?? [])].sort() }).toEqual({
          pointer,
          required: keys,
        });
        for (const key of keys) {
          const property = (node.properties as Record<string, Json>)[key];
          expect({ pointer, key, hasDescription: typeof property?.description === 'string' }).toEqual({
            pointer,
            key,
            hasDescription: true,
          });
        }
      }
      const ready = llmJsonSchema(step);
      expect(ready.$schema).toBeUndefined();
      expect(ready.type).toBe('object');
    });
  }
});

describe('LLM output schemas → validation', () => {
  test('fixtures are valid', () => {
    expect(v.safeParse(WorldDescriptionSchema, world).success).toBe(true);
    expect(v.safeParse(CharacterDetailSchema, character).success).toBe(true);
    expect(v.safeParse(PostDetailSchema, postDetail).success).toBe(true);
    const batch = { characters: [concept], generated_characters_description: '' };
    expect(v.safeParse(CharacterBatchSchema, batch).success).toBe(true);
    const posts = { posts: [postConcept] };
    expect(v.safeParse(PostBatchSchema, posts).success).toBe(true);
  });

  test('world name is 1–100 characters and not blank', () => {
    expect(v.safeParse(WorldDescriptionSchema, { ...world, name: 'x'.repeat(100) }).success).toBe(true);
    expect(v.safeParse(WorldDescriptionSchema, { ...world, name: 'x'.repeat(101) }).success).toBe(false);
    expect(v.safeParse(WorldDescriptionSchema, { ...world, name: '' }).success).toBe(false);
    expect(v.safeParse(WorldDescriptionSchema, { ...world, name: '   ' }).success).toBe(false);
  });

  test('character limits: username, display_name, bio', () => {
    const ok = (patch: Partial<typeof character>) => v.safeParse(CharacterDetailSchema, { ...character, ...patch }).success;
    expect(ok({ username: 'ab_c.9' })).toBe(true);
    expect(ok({ username: 'ab' })).toBe(false);
    expect(ok({ username: 'a'.repeat(31) })).toBe(false);
    expect(ok({ username: 'lucía' })).toBe(false);
    expect(ok({ username: 'has space' })).toBe(false);
    expect(ok({ username: '@lucia' })).toBe(false);
    expect(ok({ display_name: '' })).toBe(false);
    expect(ok({ display_name: 'x'.repeat(101) })).toBe(false);
    expect(ok({ bio: 'x'.repeat(300) })).toBe(true);
    expect(ok({ bio: 'x'.repeat(301) })).toBe(false);
  });

  test('post content and image_prompt are required and non-empty', () => {
    const ok = (patch: Record<string, unknown>) => v.safeParse(PostDetailSchema, { ...postDetail, ...patch }).success;
    expect(ok({ image_prompt: null })).toBe(false);
    expect(ok({ image_prompt: '' })).toBe(false);
    expect(ok({ image_prompt: ' \n ' })).toBe(false);
    expect(ok({ content: '' })).toBe(false);
    // Fields of the release before (their only reader was the prompt-polishing call) are refused, not ignored.
    expect(ok({ image_style: 'oil painting' })).toBe(false);
    const { image_prompt: _dropped, ...withoutPrompt } = postDetail;
    expect(v.safeParse(PostDetailSchema, withoutPrompt).success).toBe(false);
  });

  test('posts_count is a non-negative integer; unknown keys are rejected', () => {
    const batch = (c: unknown) =>
      v.safeParse(CharacterBatchSchema, {
        characters: [c],
        generated_characters_description: '',
      }).success;
    expect(batch({ ...concept, posts_count: 0 })).toBe(true);
    expect(batch({ ...concept, posts_count: -1 })).toBe(false);
    expect(batch({ ...concept, posts_count: 1.5 })).toBe(false);
    expect(batch({ ...concept, id: 'char_1' })).toBe(false);
  });
});
