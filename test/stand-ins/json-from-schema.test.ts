import { describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { toJsonSchema } from '@valibot/to-json-schema';
import { jsonFromSchema, topLevelArrayBounds } from '../../dev/stand-ins/json-from-schema';

const Post = v.strictObject({
  caption: v.pipe(v.string(), v.minLength(20), v.maxLength(120)),
  hashtags: v.pipe(v.array(v.string()), v.minLength(2), v.maxLength(4)),
  mood: v.picklist(['joyful', 'grim', 'curious']),
  image_prompt: v.nullable(v.string()),
  likes: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(1000)),
});

const World = v.strictObject({
  characters: v.pipe(
    v.array(
      v.strictObject({
        username: v.pipe(v.string(), v.minLength(3), v.maxLength(24)),
        display_name: v.string(),
        age: v.nullable(v.pipe(v.number(), v.integer(), v.minValue(18), v.maxValue(99))),
        is_villain: v.boolean(),
        posts_count: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(8)),
        profile: v.strictObject({
          bio: v.string(),
          interests: v.array(v.string()),
          home: v.nullable(v.strictObject({ city: v.string(), lat: v.number() })),
        }),
        posts: v.array(Post),
      }),
    ),
    v.minLength(1),
    v.maxLength(10),
  ),
  meta: v.strictObject({ version: v.literal(2), tone: v.nullable(v.picklist(['light', 'dark'])) }),
});

const schema = toJsonSchema(World) as Record<string, unknown>;

describe('jsonFromSchema', () => {
  test('output validates against a nested strictObject schema', () => {
    for (const seed of ['a', 'b', 'c', 42]) {
      const value = jsonFromSchema(schema, seed);
      const parsed = v.safeParse(World, value);
      if (!parsed.success) throw new Error(v.summarize(parsed.issues));
      expect(parsed.output.characters).toHaveLength(3);
    }
  });

  test('topLevelArrayLength sets the first depth-1 array only', () => {
    const value = v.parse(World, jsonFromSchema(schema, 's', { topLevelArrayLength: 7 }));
    expect(value.characters).toHaveLength(7);
    expect(value.characters[0]!.posts).toHaveLength(3);
    expect(topLevelArrayBounds(schema)).toEqual({ key: 'characters', minItems: 1, maxItems: 10 });
  });

  test('deterministic per seed, varied across items and seeds', () => {
    expect(jsonFromSchema(schema, 'x')).toEqual(jsonFromSchema(schema, 'x'));
    expect(jsonFromSchema(schema, 'x')).not.toEqual(jsonFromSchema(schema, 'y'));
    const value = v.parse(World, jsonFromSchema(schema, 'x', { topLevelArrayLength: 6 }));
    expect(new Set(value.characters.map((c) => c.username)).size).toBe(6);
    expect(new Set(value.characters.map((c) => c.display_name)).size).toBe(6);
    expect(new Set(value.characters.map((c) => c.profile.bio)).size).toBe(6);
    for (const c of value.characters) expect(c.posts_count).toBeGreaterThanOrEqual(1);
  });

  test('$ref / $defs, const, oneOf, type arrays', () => {
    const s = {
      $defs: { Tag: { type: 'object', properties: { label: { type: 'string', enum: ['x', 'y'] } }, required: ['label'] } },
      type: 'object',
      properties: {
        tags: { type: 'array', items: { $ref: '#/$defs/Tag' }, minItems: 4 },
        kind: { const: 'post' },
        score: { oneOf: [{ type: 'null' }, { type: 'number', minimum: 1, maximum: 2 }] },
        note: { type: ['null', 'string'], maxLength: 5 },
      },
      required: ['tags', 'kind', 'score', 'note'],
    };
    const out = jsonFromSchema(s, 1) as { tags: { label: string }[]; kind: string; score: number; note: string };
    expect(out.tags).toHaveLength(4);
    expect(['x', 'y']).toContain(out.tags[0]!.label);
    expect(out.kind).toBe('post');
    expect(out.score).toBeGreaterThanOrEqual(1);
    expect(out.score).toBeLessThanOrEqual(2);
    expect(out.note.length).toBeLessThanOrEqual(5);
  });
});
