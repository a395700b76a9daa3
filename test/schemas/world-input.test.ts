import { describe, expect, test } from 'bun:test';
import { parseInitWorldInput } from '../../src/schemas/world-input';

const goPayload = {
  world_id: '7d0c1a52-5b3e-4f7e-9a41-3c2b1d0e9f88',
  world_name: 'Tidewater',
  world_prompt: 'A seaside town where the tides decide the calendar',
  characters_count: 3,
  posts_count: 10,
};

function problemsOf(raw: unknown): string[] {
  const result = parseInitWorldInput(raw);
  if (result.ok) throw new Error('expected a failure');
  return result.problems;
}

describe('parseInitWorldInput', () => {
  test('accepts the exact payload world-service sends', () => {
    const result = parseInitWorldInput(JSON.parse(JSON.stringify(goPayload)));
    expect(result).toEqual({ ok: true, value: goPayload });
  });

  test('tolerates unknown keys and optional limits', () => {
    const result = parseInitWorldInput({ ...goPayload, future_field: { a: 1 }, api_call_limits_llm: null, api_call_limits_images: 20 });
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.value.api_call_limits_llm).toBeNull();
      expect(result.value.api_call_limits_images).toBe(20);
    }
  });

  test('accepts an empty world name and a missing one; trims the prompt', () => {
    const { world_name: _n, ...withoutName } = goPayload;
    const result = parseInitWorldInput({ ...withoutName, world_prompt: '  idea  ' });
    expect(result.ok && result.value.world_name).toBe('');
    expect(result.ok && result.value.world_prompt).toBe('idea');
    expect(parseInitWorldInput({ ...goPayload, world_name: '' }).ok).toBe(true);
  });

  test('accepts the bounds', () => {
    expect(parseInitWorldInput({ ...goPayload, characters_count: 1, posts_count: 1 }).ok).toBe(true);
    expect(parseInitWorldInput({ ...goPayload, characters_count: 40, posts_count: 250 }).ok).toBe(true);
    expect(parseInitWorldInput({ ...goPayload, world_prompt: 'x'.repeat(4000) }).ok).toBe(true);
  });

  test('reports every bad field at once, each naming its field, and keeps the world id', () => {
    const result = parseInitWorldInput({ ...goPayload, world_prompt: '   ', characters_count: 0, posts_count: 'x' });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.worldId).toBe(goPayload.world_id);
    expect(result.problems).toHaveLength(3);
    expect(result.problems[0]).toStartWith('world_prompt: ');
    expect(result.problems).toContain('characters_count: expected an integer between 1 and 40, got 0');
    expect(result.problems).toContain('posts_count: expected an integer between 1 and 250, got "x"');
  });

  test('other problems: out of range, fractional, too long, bad limits, missing keys', () => {
    const problems = problemsOf({
      world_prompt: 'x'.repeat(4001),
      characters_count: 2.5,
      posts_count: 251,
      api_call_limits_llm: 0,
      api_call_limits_images: '5',
    });
    expect(problems.map((p) => p.split(':')[0])).toEqual([
      'world_id',
      'world_prompt',
      'characters_count',
      'posts_count',
      'api_call_limits_llm',
      'api_call_limits_images',
    ]);
    expect(problems[0]).toBe('world_id: is required but missing');
    expect(problemsOf({ ...goPayload, characters_count: 41 })).toEqual([
      'characters_count: expected an integer between 1 and 40, got 41',
    ]);
  });

  test('world id is null when unreadable; non-objects are rejected', () => {
    const bad = parseInitWorldInput({ ...goPayload, world_id: '' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.worldId).toBeNull();
    const separator = parseInitWorldInput({ ...goPayload, world_id: 'a:b' });
    expect(separator.ok).toBe(false);
    if (!separator.ok) {
      expect(separator.worldId).toBeNull();
      expect(separator.problems[0]).toStartWith('world_id: expected an id');
    }
    const numeric = parseInitWorldInput({ ...goPayload, world_id: 42 });
    if (!numeric.ok) expect(numeric.worldId).toBeNull();
    for (const raw of [null, undefined, 'text', 3, [goPayload]]) {
      const result = parseInitWorldInput(raw);
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.problems).toHaveLength(1);
        expect(result.problems[0]).toStartWith('input: expected a JSON object');
        expect(result.worldId).toBeNull();
      }
    }
  });
});
