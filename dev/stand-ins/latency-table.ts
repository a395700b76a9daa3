/**
 * The stand-ins' latency table: how long each provider takes to answer, so that benchmarks measure the worker
 * against a believable provider instead of against an instant one.
 *
 * - LLM: time to first token + completion tokens ÷ throughput. The completion tokens are those of the answer the
 *   stand-in actually returns (it generates the JSON from the request's schema first, then waits), so a step whose
 *   structured output is smaller is faster, as with a real model that streams tokens at a steady rate.
 * - Images: a fixed time per kind. Runware's request does not name the kind, so the stand-in recognises it by the
 *   requested size (the worker's default `IMAGE_SIZE_<KIND>`); a size it does not know takes `images.default`.
 * - Services: a few milliseconds per gRPC call and presigned upload.
 *
 * `fixed-1000-500` keeps the comparison the performance issue started from (every LLM request 1,000 ms, every image
 * 500 ms, whatever its size): throughput Infinity makes the LLM time independent of the answer.
 */

export interface LatencyTable {
  name: string;
  llm: { ttftMs: number; tokensPerSecond: number };
  /** Per image kind, ms; `default` for sizes not in `kindBySize`. */
  images: { default: number } & Partial<Record<ImageKindName, number>>;
  servicesMs: number;
}

export type ImageKindName = 'world_header' | 'world_icon' | 'character_avatar' | 'post_image';

/**
 * The worker's default sizes (src/config: IMAGE_SIZE_<KIND>); icon and avatar share 512x512, so they share a time
 * (both tables below give them the same figure, and a benchmark that changes the sizes changes this map with them).
 */
export const KIND_BY_SIZE: Record<string, ImageKindName> = {
  '1536x640': 'world_header',
  '512x512': 'character_avatar',
  '768x1024': 'post_image',
};

export const LATENCY_TABLES: Record<string, LatencyTable> = {
  /** The original comparison: flat 1,000 ms per LLM request, 500 ms per image. */
  'fixed-1000-500': { name: 'fixed-1000-500', llm: { ttftMs: 1000, tokensPerSecond: Infinity }, images: { default: 500 }, servicesMs: 0 },
  /**
   * A hosted mid-size model through OpenRouter (≈ 0.5 s to first token, ≈ 80 tokens/s of structured JSON) and a fast
   * diffusion model on Runware (time grows with pixels): the default table.
   */
  realistic: {
    name: 'realistic',
    llm: { ttftMs: 500, tokensPerSecond: 80 },
    images: { default: 600, world_header: 900, world_icon: 500, character_avatar: 500, post_image: 700 },
    servicesMs: 3,
  },
  /** Everything instant: what is left is the worker's own time (orchestration, database, CPU). */
  zero: { name: 'zero', llm: { ttftMs: 0, tokensPerSecond: Infinity }, images: { default: 0 }, servicesMs: 0 },
};

/** A table from flat figures, e.g. the old `bench 1000 500` positional arguments. */
export function flatTable(llmMs: number, imageMs: number, servicesMs = 0): LatencyTable {
  return { name: `fixed-${llmMs}-${imageMs}`, llm: { ttftMs: llmMs, tokensPerSecond: Infinity }, images: { default: imageMs }, servicesMs };
}

/** The time an LLM request with this many completion tokens takes under the table. */
export function llmDelayMs(table: LatencyTable, completionTokens: number): number {
  const streaming = Number.isFinite(table.llm.tokensPerSecond) ? (completionTokens / table.llm.tokensPerSecond) * 1000 : 0;
  return Math.round(table.llm.ttftMs + streaming);
}

export function imageKindOfSize(width: number, height: number): ImageKindName | undefined {
  return KIND_BY_SIZE[`${width}x${height}`];
}

/** The time one image of this size takes under the table. */
export function imageDelayMs(table: LatencyTable, width: number, height: number): number {
  const kind = imageKindOfSize(width, height);
  return (kind && table.images[kind]) ?? table.images.default;
}

/** The time a Runware request (a list of tasks rendered in parallel) takes: its slowest task. */
export function runwareRequestDelayMs(table: LatencyTable, tasks: ReadonlyArray<{ width?: unknown; height?: unknown }>): number {
  let max = 0;
  for (const t of tasks) max = Math.max(max, imageDelayMs(table, Number(t.width), Number(t.height)));
  return max;
}
