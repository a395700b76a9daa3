/**
 * B, the bound of the graph a run actually executed: the wall time the world would take if the worker added nothing
 * — every provider call took exactly the time the stand-in spent on it, and each call started the moment the calls
 * it depends on had ended.
 *
 * Calls. Every LLM and image request the stand-ins served, with the stand-in's own start/end timestamps. A call is
 * attributed to its world, task and step through `provider_calls`, where the worker stores each paid answer under
 * its position (`llm:<task>:<step>:q<i>:r<j>` with the OpenRouter answer id, `image:<task>:<kind>:q0` with the
 * Runware task UUID written before the request).
 *
 * Dependency edges (no call carries its causes, so they are derived): d precedes c when both belong to the same
 * world, d ended before c started, and d's task is c's task (an earlier step) or an ancestor of c's task in the task
 * tree. Task ids are tree positions (src/domain/task-ids.ts): `<world>:world-description` is the ancestor of every
 * task; a plain task (`character:2`, `character:2:post:5`) is the ancestor of the ids it prefixes; a batch task
 * `…:X-batch:k` is the ancestor of every `…:X:<i>…` under the same parent and of the later batches `…:X-batch:k'`,
 * k' > k (a batch plans the items, and chains the next batch). The "ended before" condition keeps only edges the run
 * can have obeyed, so a step the workflows stopped waiting for (started before it ended) is no edge.
 * Limit, stated: if orchestration delays a call past the end of an unrelated call of an ancestor task, that call is
 * taken as a dependency, so B can only come out too high, never too low — W/B errs towards looking better.
 *
 * B = the longest path (sum of call durations) through these edges. Gaps between calls on that path are the
 * worker's own time (Temporal hops, database writes, gRPC calls to the services, CPU).
 */
import type { Db } from 'mongodb';
import type { OpenRouterRequestRecord } from '../../../dev/stand-ins/openrouter';
import type { RunwareRequestRecord } from '../../../dev/stand-ins/runware';
import { llmDelayMs, runwareRequestDelayMs, type LatencyTable } from '../../../dev/stand-ins/latency-table';

export interface Call {
  provider: 'llm' | 'images';
  worldId: string;
  taskId: string;
  /** LLM step (e.g. post_detail) or image kind (e.g. post_image). */
  step: string;
  start: number;
  end: number;
  promptTokens: number;
  completionTokens: number;
}

export interface Attribution {
  calls: Call[];
  /** Served calls that no `provider_calls` record names (faulted requests, or a changed record format). */
  unattributed: number;
}

/** The stand-ins' records joined with the worker's `provider_calls` records of `worldIds`. */
export async function attributeCalls(db: Db, worldIds: readonly string[], llm: readonly OpenRouterRequestRecord[], images: readonly RunwareRequestRecord[]): Promise<Attribution> {
  const docs = await db
    .collection('provider_calls')
    .find({ world_id: { $in: [...worldIds] }, entry: { $in: ['result', 'task_uuid'] } })
    .project({ world_id: 1, task_id: 1, position: 1, provider: 1, entry: 1, task_uuid: 1, 'result.id': 1 })
    .toArray();
  const byAnswerId = new Map<string, { worldId: string; taskId: string; position: string }>();
  const byTaskUuid = new Map<string, { worldId: string; taskId: string; position: string }>();
  for (const d of docs) {
    const ref = { worldId: String(d.world_id), taskId: String(d.task_id), position: String(d.position) };
    if (d.provider === 'llm' && d.entry === 'result' && d.result?.id) byAnswerId.set(String(d.result.id), ref);
    if (d.provider === 'images' && d.entry === 'task_uuid' && d.task_uuid) byTaskUuid.set(String(d.task_uuid), ref);
  }
  const calls: Call[] = [];
  let unattributed = 0;
  for (const r of llm) {
    const ref = r.responseId ? byAnswerId.get(r.responseId) : undefined;
    if (!ref || r.endedAt === undefined) {
      if (r.status === 200) unattributed += 1;
      continue;
    }
    // llm:<task>:<step>:q<i>:r<j> — the task id itself contains ':', so read the step from the end.
    const parts = ref.position.split(':');
    calls.push({ provider: 'llm', worldId: ref.worldId, taskId: ref.taskId, step: parts[parts.length - 3] ?? '?', start: r.at, end: r.endedAt, promptTokens: r.promptTokens, completionTokens: r.completionTokens });
  }
  for (const r of images) {
    const uuid = r.tasks[0]?.taskUUID as string | undefined;
    const ref = uuid ? byTaskUuid.get(uuid) : undefined;
    if (!ref || r.endedAt === undefined) {
      if (r.status === 200) unattributed += 1;
      continue;
    }
    // image:<task>:<kind>:q0
    const parts = ref.position.split(':');
    calls.push({ provider: 'images', worldId: ref.worldId, taskId: ref.taskId, step: parts[parts.length - 2] ?? '?', start: r.at, end: r.endedAt, promptTokens: 0, completionTokens: 0 });
  }
  calls.sort((a, b) => a.start - b.start);
  return { calls, unattributed };
}

type Segment = { name: string; index?: number };

/** `<world>:character:2:post:5:image` → [character 2, post 5, image]. */
function segmentsOf(taskId: string): Segment[] {
  const parts = taskId.split(':').slice(1);
  const out: Segment[] = [];
  for (let i = 0; i < parts.length; i++) {
    const next = parts[i + 1];
    if (next !== undefined && /^\d+$/.test(next)) {
      out.push({ name: parts[i]!, index: Number(next) });
      i++;
    } else out.push({ name: parts[i]! });
  }
  return out;
}

const same = (a: Segment, b: Segment) => a.name === b.name && a.index === b.index;

/** True when task `a` is an ancestor of task `c` in the world's task tree (see the header). */
export function isAncestorTask(a: string, c: string): boolean {
  if (a === c) return false;
  const sa = segmentsOf(a);
  const sc = segmentsOf(c);
  if (sa.length === 1 && sa[0]!.name === 'world-description') return true;
  const last = sa[sa.length - 1]!;
  const parent = sa.slice(0, -1);
  if (sc.length <= parent.length || !parent.every((s, i) => same(s, sc[i]!))) return false;
  const next = sc[parent.length]!;
  const batch = /^(.+)-batch$/.exec(last.name);
  if (batch) {
    if (next.name === batch[1]) return true;
    return next.name === last.name && next.index !== undefined && last.index !== undefined && next.index > last.index;
  }
  return same(last, next) && sc.length > sa.length;
}

export interface Bound {
  /** ms */
  bound: number;
  /** The calls on the longest path, first to last. */
  path: Call[];
}

/**
 * The longest dependent chain of one world's calls (sorted by start). `weight` is each call's length on the chain:
 * by default the time the stand-in spent on it (B); `() => 1` gives the chain with the most calls, which is what
 * counts hops at zero provider latency, where every call takes ~0 ms and the longest chain by time is any one.
 */
export function boundOf(calls: readonly Call[], weight: (c: Call) => number = (c) => c.end - c.start): Bound {
  const finish: number[] = [];
  const prev: number[] = [];
  let best = -1;
  for (let i = 0; i < calls.length; i++) {
    const c = calls[i]!;
    let before = 0;
    let from = -1;
    for (let j = 0; j < i; j++) {
      const d = calls[j]!;
      if (d.end > c.start || finish[j]! <= before) continue;
      if (d.taskId === c.taskId || isAncestorTask(d.taskId, c.taskId)) {
        before = finish[j]!;
        from = j;
      }
    }
    finish.push(before + weight(c));
    prev.push(from);
    if (best < 0 || finish[i]! > finish[best]!) best = i;
  }
  const path: Call[] = [];
  for (let i = best; i >= 0; i = prev[i]!) path.unshift(calls[i]!);
  return { bound: best < 0 ? 0 : finish[best]!, path };
}

/** "world_description → character_batch → … → post_image" */
export const describePath = (path: readonly Call[]): string => path.map((c) => c.step).join(' → ');

/**
 * The original worker's chain (spec section 1 and 3): description → character batch → character detail → post
 * batch → post detail → post image prompt → post image, six dependent LLM calls and one image. Under a table whose
 * LLM time depends on the answer's size, each step takes the completion tokens this run's stand-in returned for the
 * same step (median); a step the run no longer makes takes `fallbackTokens`, the sizes this bench measured on the
 * 3×10 world before the chain was shortened.
 */
export const ORIGINAL_CHAIN = ['world_description', 'character_batch', 'character_detail', 'post_batch', 'post_detail', 'post_image_prompt'] as const;
export const ORIGINAL_FALLBACK_TOKENS: Record<(typeof ORIGINAL_CHAIN)[number], number> = {
  world_description: 700,
  character_batch: 500,
  character_detail: 600,
  post_batch: 450,
  post_detail: 350,
  post_image_prompt: 150,
};

export function originalChainBound(table: LatencyTable, calls: readonly Call[]): { bound: number; tokens: Record<string, number> } {
  const tokens: Record<string, number> = {};
  let bound = 0;
  for (const step of ORIGINAL_CHAIN) {
    const sizes = calls.filter((c) => c.provider === 'llm' && c.step === step).map((c) => c.completionTokens).sort((a, b) => a - b);
    tokens[step] = sizes.length > 0 ? sizes[Math.floor(sizes.length / 2)]! : ORIGINAL_FALLBACK_TOKENS[step];
    bound += llmDelayMs(table, tokens[step]);
  }
  bound += runwareRequestDelayMs(table, [{ width: 768, height: 1024 }]);
  return { bound, tokens };
}
