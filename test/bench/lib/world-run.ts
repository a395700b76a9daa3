/**
 * Runs a batch of worlds at once and measures everything the performance issue asks for per world: W, B (see
 * bound.ts), the critical path, tokens by step, Temporal figures from the histories, database commands through the
 * proxy, CPU seconds and peak RSS of the worker process tree (FerretDB and Temporal apart), and exactness: the
 * status documents' counters, costs and items equal what the stand-ins served.
 */
import type { Client } from '@temporalio/client';
import { measurePayloads, worldWorkflowIds, type WorkflowHistory } from '../../support/histories';
import { attributeCalls, boundOf, describePath, originalChainBound, type Call } from './bound';
import type { BenchContext } from './bench-context';
import { opsBetween } from './mongo-proxy';
import { cpuSeconds, rssSampler, treeCpuSeconds } from './proc';

export interface WorldFigures {
  worldId: string;
  wallMs: number;
  boundMs: number;
  overheadMs: number;
  wOverB: number;
  /** The original's chain under the same table (bound.ts). */
  originalBoundMs: number;
  /** Steps on the longest dependent chain, e.g. "world_description → … → post_image". */
  criticalPath: string;
  pathLlmCalls: number;
  pathImages: number;
  /** Calls on the chain with the most dependent calls (a hop count that does not depend on call durations). */
  chainCalls: number;
  /** (W − B) ÷ provider calls on the critical path: the worker's time per hop of the chain. */
  overheadPerHopMs: number;
  llmCalls: number;
  imageCalls: number;
  promptTokens: number;
  completionTokens: number;
  tokens: number;
  tokensByStep: Record<string, number>;
  workflows: number;
  activities: number;
  events: number;
  maxHistoryEvents: number;
  workflowTasks: number;
  activityTasks: number;
  /** Poll + respond per workflow task and per activity task: the worker↔server round trips a world needs. */
  temporalRoundTrips: number;
  largestPayloadBytes: number;
}

export interface BatchFigures {
  concurrency: number;
  worlds: WorldFigures[];
  /** Per world (the batch's totals ÷ worlds). */
  cpuWorkerS: number;
  cpuMongoS: number;
  cpuTemporalS: number;
  dbOps: number;
  dbOpsByCommand: Record<string, number>;
  /** Peak RSS of the worker process tree during the batch. */
  peakRssBytes: number;
  unattributedCalls: number;
  /** Violations of exactness (empty when counters, costs and items equal what the stand-ins served). */
  exactness: string[];
}

export interface WorldSize {
  characters: number;
  posts: number;
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

function sumBy<T>(items: readonly T[], f: (t: T) => number): number {
  let s = 0;
  for (const i of items) s += f(i);
  return s;
}

/** CPU seconds of the database's processes (with PostgreSQL's backends, its children); NaN for an external one. */
function databaseCpuSeconds(ctx: BenchContext): number {
  if (ctx.databasePids.length === 0) return NaN;
  return sumBy(ctx.databasePids, (pid) => treeCpuSeconds(pid));
}

export async function runWorldBatch(ctx: BenchContext, size: WorldSize, concurrency: number, timeoutMs = 30 * 60_000): Promise<BatchFigures> {
  const { h } = ctx;
  h.llm.reset();
  h.images.reset();
  h.services.reset();
  ctx.applyTable();

  const cpu0 = { worker: treeCpuSeconds(h.workerPid), mongo: databaseCpuSeconds(ctx), temporal: ctx.temporalPid ? cpuSeconds(ctx.temporalPid) : NaN };
  const ops0 = await ctx.proxy.counts();
  const rss = rssSampler(h.workerPid);

  const ids = Array.from({ length: concurrency }, () => crypto.randomUUID());
  const walls = await Promise.all(
    ids.map(async (worldId) => {
      const t0 = performance.now();
      await h.startWorld({ world_id: worldId, world_name: 'Bench', world_prompt: 'A city of clockwork gardens where the seasons are wound by hand.', characters_count: size.characters, posts_count: size.posts });
      const status = await h.waitForWorld(worldId, timeoutMs);
      return { worldId, wallMs: performance.now() - t0, status };
    }),
  );

  const peakRssBytes = rss.stop();
  const cpuWorkerS = treeCpuSeconds(h.workerPid) - cpu0.worker;
  const cpuMongoS = databaseCpuSeconds(ctx) - cpu0.mongo;
  const cpuTemporalS = ctx.temporalPid ? cpuSeconds(ctx.temporalPid) - cpu0.temporal : NaN;
  const ops = opsBetween(ops0, await ctx.proxy.counts());

  const { calls, unattributed } = await attributeCalls(h.db, ids, h.llm.requests, h.images.requests);
  const exactness: string[] = [];
  const worlds: WorldFigures[] = [];
  for (const { worldId, wallMs, status } of walls) {
    const own = calls.filter((c) => c.worldId === worldId);
    const { bound, path } = boundOf(own);
    const histories = await fetchExisting(h.client, await worldWorkflowIds(h.db, worldId));
    const payloads = measurePayloads(histories);
    let workflowTasks = 0;
    let activityTasks = 0;
    for (const { history } of histories) {
      for (const e of history.events ?? []) {
        if (e.workflowTaskCompletedEventAttributes) workflowTasks++;
        if (e.activityTaskStartedEventAttributes) activityTasks++;
      }
    }
    const tokensByStep: Record<string, number> = {};
    for (const c of own) if (c.provider === 'llm') tokensByStep[c.step] = (tokensByStep[c.step] ?? 0) + c.promptTokens + c.completionTokens;
    const llmCalls = own.filter((c) => c.provider === 'llm');
    const hops = path.length;
    worlds.push({
      worldId,
      wallMs,
      boundMs: bound,
      overheadMs: wallMs - bound,
      wOverB: wallMs / bound,
      originalBoundMs: originalChainBound(ctx.table, own).bound,
      criticalPath: describePath(path),
      pathLlmCalls: path.filter((c) => c.provider === 'llm').length,
      pathImages: path.filter((c) => c.provider === 'images').length,
      chainCalls: boundOf(own, () => 1).path.length,
      overheadPerHopMs: hops > 0 ? (wallMs - bound) / hops : NaN,
      llmCalls: llmCalls.length,
      imageCalls: own.length - llmCalls.length,
      promptTokens: sumBy(llmCalls, (c) => c.promptTokens),
      completionTokens: sumBy(llmCalls, (c) => c.completionTokens),
      tokens: sumBy(llmCalls, (c) => c.promptTokens + c.completionTokens),
      tokensByStep,
      workflows: payloads.workflows,
      activities: payloads.activities,
      events: payloads.events,
      maxHistoryEvents: payloads.largestHistoryEvents,
      workflowTasks,
      activityTasks,
      temporalRoundTrips: 2 * (workflowTasks + activityTasks),
      largestPayloadBytes: payloads.largestPayloadBytes,
    });
    checkWorld(exactness, worldId, size, status, own, unattributed === 0, ctx);
  }
  checkTotals(exactness, walls.map((w) => w.status), ctx);
  const n = concurrency;
  return {
    concurrency,
    worlds,
    cpuWorkerS: cpuWorkerS / n,
    cpuMongoS: cpuMongoS / n,
    cpuTemporalS: cpuTemporalS / n,
    dbOps: ops.total / n,
    dbOpsByCommand: Object.fromEntries(Object.entries(ops.byCommand).map(([k, v]) => [k, v / n])),
    peakRssBytes,
    unattributedCalls: unattributed,
    exactness,
  };
}

/** The histories of the workflows that exist (a task document may name a workflow that was never started). */
async function fetchExisting(client: Client, ids: readonly string[]): Promise<WorkflowHistory[]> {
  const out: WorkflowHistory[] = [];
  for (const workflowId of ids) {
    try {
      out.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
    } catch (err) {
      if (!/not found/i.test((err as Error).message)) throw err;
    }
  }
  return out;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- the status document is read as stored. */
function checkWorld(out: string[], worldId: string, size: WorldSize, status: Record<string, any>, own: readonly Call[], attributed: boolean, ctx: BenchContext): void {
  const w = worldId.slice(0, 8);
  const expect = (ok: boolean, what: string) => {
    if (!ok) out.push(`world ${w}: ${what}`);
  };
  expect(status.status === 'completed', `status ${status.status} (${status.error ?? 'no error'})`);
  expect(status.users_created === size.characters, `users_created ${status.users_created} ≠ ${size.characters}`);
  expect(status.posts_created === size.posts, `posts_created ${status.posts_created} ≠ ${size.posts}`);
  const state = ctx.h.services.state;
  const characters = [...state.characters.values()].filter((c) => c.worldId === worldId).length;
  const posts = [...state.posts.values()].filter((p) => p.worldId === worldId).length;
  expect(characters === size.characters, `character-service holds ${characters} characters, asked ${size.characters}`);
  expect(posts === size.posts, `post-service holds ${posts} posts, asked ${size.posts}`);
  if (attributed) {
    const llm = own.filter((c) => c.provider === 'llm');
    expect(status.api_calls_made_LLM === llm.length, `api_calls_made_LLM ${status.api_calls_made_LLM} ≠ ${llm.length} served`);
    expect(status.api_calls_made_images === own.length - llm.length, `api_calls_made_images ${status.api_calls_made_images} ≠ ${own.length - llm.length} served`);
    const prompt = sumBy(llm, (c) => c.promptTokens);
    const completion = sumBy(llm, (c) => c.completionTokens);
    if (status.llm_prompt_tokens !== undefined) expect(status.llm_prompt_tokens === prompt, `llm_prompt_tokens ${status.llm_prompt_tokens} ≠ ${prompt} served`);
    if (status.llm_completion_tokens !== undefined) expect(status.llm_completion_tokens === completion, `llm_completion_tokens ${status.llm_completion_tokens} ≠ ${completion} served`);
  }
}

/** Across the batch: every request the stand-ins received is counted once, every cost charged is in some world. */
function checkTotals(out: string[], statuses: readonly Record<string, any>[], ctx: BenchContext): void {
  const { llm, images } = ctx.h;
  const sum = (f: string) => sumBy(statuses, (s) => Number(s[f] ?? 0));
  const llmCost = sumBy(llm.requests, (r) => r.cost ?? 0);
  const imageCost = sumBy(images.requests, (r) => r.cost ?? 0);
  if (sum('api_calls_made_LLM') !== llm.requests.length) out.push(`Σ api_calls_made_LLM ${sum('api_calls_made_LLM')} ≠ ${llm.requests.length} LLM requests received`);
  if (sum('api_calls_made_images') !== images.requests.length) out.push(`Σ api_calls_made_images ${sum('api_calls_made_images')} ≠ ${images.requests.length} image requests received`);
  if (!close(sum('llm_cost_total'), llmCost)) out.push(`Σ llm_cost_total ${sum('llm_cost_total')} ≠ ${llmCost} charged`);
  if (!close(sum('image_cost_total'), imageCost)) out.push(`Σ image_cost_total ${sum('image_cost_total')} ≠ ${imageCost} charged`);
}
