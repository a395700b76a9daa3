/** The bound B from call records (test/bench/lib/bound.ts): the task-tree edges and the longest dependent chain. */
import { describe, expect, test } from 'bun:test';
import { boundOf, isAncestorTask, originalChainBound, type Call } from './lib/bound';
import { LATENCY_TABLES } from '../../dev/stand-ins/latency-table';

const W = 'w1';
const call = (taskId: string, step: string, start: number, end: number, provider: Call['provider'] = 'llm'): Call => ({
  provider,
  worldId: W,
  taskId: `${W}:${taskId}`,
  step,
  start,
  end,
  promptTokens: 0,
  completionTokens: 0,
});

describe('task-tree ancestry', () => {
  const t = (id: string) => `${W}:${id}`;
  test.each([
    ['world-description', 'character:3:post:2:image', true],
    ['world-description', 'world-image', true],
    ['character-batch:0', 'character:7', true],
    ['character-batch:0', 'character-batch:1', true],
    ['character-batch:1', 'character-batch:0', false],
    ['character:1', 'character:1:post-batch:0', true],
    ['character:1', 'character:10:post-batch:0', false],
    ['character:1:post-batch:0', 'character:1:post:4:image', true],
    ['character:1:post-batch:0', 'character:2:post:4', false],
    ['character:1:post:4', 'character:1:post:4:image', true],
    ['character:1:post:4', 'character:1:post:5:image', false],
    ['world-image', 'character:0', false],
    ['character:0:avatar', 'character:0:post:1', false],
  ])('%s → %s: %p', (a, c, expected) => expect(isAncestorTask(t(a), t(c))).toBe(expected));
});

describe('boundOf', () => {
  test('the longest chain through ancestors, not through unrelated tasks that merely ended earlier', () => {
    const calls = [
      call('world-description', 'world_description', 0, 1000),
      call('world-image', 'world_image_prompts', 1100, 1600),
      call('world-image', 'world_header', 1700, 4700, 'images'), // long, but no ancestor of any character
      call('character-batch:0', 'character_batch', 1100, 2100),
      call('character:0', 'character_detail', 2200, 3200),
      call('character:0:post-batch:0', 'post_batch', 3300, 4300),
      call('character:0:post:0', 'post_detail', 4400, 5400),
      call('character:0:post:0:image', 'post_image', 5500, 6000, 'images'),
    ];
    const { bound, path } = boundOf(calls);
    expect(bound).toBe(5500);
    expect(path.map((c) => c.step)).toEqual(['world_description', 'character_batch', 'character_detail', 'post_batch', 'post_detail', 'post_image']);
  });

  test('a step that started before its would-be predecessor ended is not on its chain (the workflows stopped waiting)', () => {
    const calls = [
      call('world-description', 'world_description', 0, 1000),
      call('character-batch:0', 'character_batch', 1000, 2000),
      call('character:0', 'character_detail', 2000, 3000),
      call('character:0:post-batch:0', 'post_batch', 2000, 2800), // planned from the concept, alongside the detail
    ];
    expect(boundOf(calls).bound).toBe(3000);
  });

  test('weighted by count, the chain with the most calls wins although each takes ~0 ms (zero latency)', () => {
    const calls = [
      call('world-description', 'world_description', 0, 1),
      call('world-image', 'world_image_prompts', 2, 40), // the longest single call, on a chain of two
      call('character-batch:0', 'character_batch', 2, 3),
      call('character:0', 'character_detail', 4, 5),
      call('character:0:post:0', 'post_detail', 6, 7),
      call('character:0:post:0', 'post_image', 8, 9, 'images'),
    ];
    expect(boundOf(calls).path.map((c) => c.step)).toEqual(['world_description', 'world_image_prompts']);
    expect(boundOf(calls, () => 1).path.map((c) => c.step)).toEqual(['world_description', 'character_batch', 'character_detail', 'post_detail', 'post_image']);
  });

  test("the original's chain at the legacy table is 6 × 1,000 + 500 ms", () => {
    expect(originalChainBound(LATENCY_TABLES['fixed-1000-500']!, []).bound).toBe(6500);
  });
});
