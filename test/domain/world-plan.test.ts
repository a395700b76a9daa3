import { describe, expect, test } from 'bun:test';
import { allocateByWeight, forecastWorld, planCharacterBatches, postBatchSizes } from '../../src/domain/world-plan';

describe('planCharacterBatches', () => {
  test('batches of at most 10 whose post shares sum to exactly posts_count', () => {
    for (let characters = 1; characters <= 40; characters++) {
      for (const posts of [1, 3, characters - 1, characters, 10, 49, 150, 250].filter((p) => p >= 1)) {
        const slices = planCharacterBatches(characters, posts);
        expect(slices.reduce((n, s) => n + s.size, 0)).toBe(characters);
        expect(slices.reduce((n, s) => n + s.posts, 0)).toBe(posts);
        expect(slices.every((s) => s.size >= 1 && s.size <= 10 && s.posts >= 0)).toBe(true);
        expect(slices.map((s) => s.firstCharacterIndex)).toEqual(slices.map((_, i) => slices.slice(0, i).reduce((n, s) => n + s.size, 0)));
      }
    }
  });

  test('the platform default world splits 60/60/30', () => {
    expect(planCharacterBatches(25, 150).map((s) => [s.size, s.posts])).toEqual([
      [10, 60],
      [10, 60],
      [5, 30],
    ]);
  });
});

describe('allocateByWeight', () => {
  test('follows the weights and always sums to the total', () => {
    expect(allocateByWeight(10, [5, 3, 2])).toEqual([5, 3, 2]);
    expect(allocateByWeight(10, [1, 1, 1])).toEqual([4, 3, 3]);
    expect(allocateByWeight(3, [1, 1, 1, 1, 1])).toEqual([1, 1, 1, 0, 0]);
    expect(allocateByWeight(7, [0, 0])).toEqual([4, 3]);
    expect(allocateByWeight(6, [Number.NaN, -2, 4])).toEqual([0, 0, 6]);
    expect(allocateByWeight(0, [3, 4])).toEqual([0, 0]);
    expect(allocateByWeight(5, [])).toEqual([]);
  });
});

describe('postBatchSizes and forecastWorld', () => {
  test('posts come in batches of at most 10', () => {
    expect(postBatchSizes(0)).toEqual([]);
    expect(postBatchSizes(10)).toEqual([10]);
    expect(postBatchSizes(23)).toEqual([10, 10, 3]);
  });

  test('the 3×10 world needs 22 tasks, 19 LLM calls and 15 images', () => {
    // 1 description + 1 world image + 1 batch + 3 characters + 3 avatars + 3 post batches + 10 posts; the avatars'
    // prompts come with the profiles, each post's picture prompt with its text
    expect(forecastWorld(3, 10)).toEqual({ tasks: 22, llmCalls: 19, imageCalls: 15 });
  });
});
