/**
 * The shape of a world's generation tree: batch sizes, how posts are shared out, and how many
 * tasks and provider calls a world is expected to need. Pure and deterministic (workflow-safe).
 */

export const MAX_CHARACTERS_PER_BATCH = 10;
export const MAX_POSTS_PER_BATCH = 10;

export interface CharacterBatchSlice {
  batchIndex: number;
  firstCharacterIndex: number;
  size: number;
  posts: number;
}

/**
 * Splits the world's characters into batches of at most 10 and gives each batch its share of the
 * posts, proportional to its size; the last batch absorbs the rounding, so the shares sum to
 * exactly `postsCount` (fixes spec 15.4: no 1-post minimum that overshoots when posts < characters).
 */
export function planCharacterBatches(charactersCount: number, postsCount: number): CharacterBatchSlice[] {
  const slices: CharacterBatchSlice[] = [];
  let remainingCharacters = charactersCount;
  let remainingPosts = postsCount;
  let first = 0;
  for (let batchIndex = 0; remainingCharacters > 0; batchIndex++) {
    const size = Math.min(MAX_CHARACTERS_PER_BATCH, remainingCharacters);
    const posts = size === remainingCharacters ? remainingPosts : Math.floor((remainingPosts * size) / remainingCharacters);
    slices.push({ batchIndex, firstCharacterIndex: first, size, posts });
    first += size;
    remainingCharacters -= size;
    remainingPosts -= posts;
  }
  return slices;
}

/**
 * Shares `total` among items in proportion to `weights` (largest-remainder method; ties go to the
 * earlier item). Non-positive or missing weights count as equal weights, so a model that forgets the
 * numbers still gets an even split. The result always sums to `total`.
 */
export function allocateByWeight(total: number, weights: readonly number[]): number[] {
  const n = weights.length;
  if (n === 0) return [];
  const safe = weights.map((w) => (Number.isFinite(w) && w > 0 ? w : 0));
  const sum = safe.reduce((a, b) => a + b, 0);
  const effective = sum > 0 ? safe : safe.map(() => 1);
  const effectiveSum = sum > 0 ? sum : n;
  const exact = effective.map((w) => (total * w) / effectiveSum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => ({ i, r: x - Math.floor(x) })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (let k = 0; left > 0; k = (k + 1) % n, left--) shares[order[k]!.i]! += 1;
  return shares;
}

export function postBatchSizes(postsCount: number): number[] {
  const sizes: number[] = [];
  for (let left = postsCount; left > 0; left -= MAX_POSTS_PER_BATCH) sizes.push(Math.min(MAX_POSTS_PER_BATCH, left));
  return sizes;
}

export interface WorldForecast {
  /** Task documents the world should need. */
  tasks: number;
  llmCalls: number;
  imageCalls: number;
}

/**
 * Expected size of a world, assuming an even split of posts (the real split follows the model's weights). Since
 * release 0.3 a post makes its own picture (no image task, no prompt-polishing call) and the profile writes the
 * avatar's prompt (the avatar task makes no call): tasks = description, world image, character batches, characters,
 * avatars, post batches, posts; LLM calls = the same less the avatars.
 */
export function forecastWorld(charactersCount: number, postsCount: number): WorldForecast {
  const batches = planCharacterBatches(charactersCount, postsCount);
  const evenPosts = allocateByWeight(postsCount, Array.from({ length: charactersCount }, () => 1));
  const postBatches = evenPosts.reduce((n, p) => n + postBatchSizes(p).length, 0);
  const tasks = 2 + batches.length + 2 * charactersCount + postBatches + postsCount;
  return { tasks, llmCalls: tasks - charactersCount, imageCalls: 2 + charactersCount + postsCount };
}
