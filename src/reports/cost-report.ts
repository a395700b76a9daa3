/**
 * Where a world's money went, by step and model: the data behind the operator CLI's `cost` command and the cost
 * metrics. Built from the cost ledger — `provider_calls` (every paid answer, stored once per send) and the applied
 * `cost:` keys of `status_ledger` (which answers are counted in the status document) — so each line is money the
 * status document holds and the lines add up to its `llm_cost_total` / `image_cost_total` and token counters.
 *
 * What each attempt was is read from its position (`llm:<task>:<step>:q<i>:r<j>`, `image:<task>:<kind>:q<i>`, see
 * paid-request.ts) and its send number: a send above 0 is a **retry** (an earlier send at the same position left and
 * failed), r ≥ 1 a **repair** request (the model's JSON failed validation), q ≥ 1 in a batch step a **top-up** (the
 * model left items out) and q ≥ 1 of an image a **regeneration**. Read-only; repositories injected.
 * @module
 */
import type { GenerationStatusRepository, PositionState, ProviderCallRef, ProviderCallRepository } from '../repositories';
import { costKey } from '../activities/paid-request';
import { costOfRecord } from '../activities/paid-records';

export interface CostReportDeps {
  providerCalls: Pick<ProviderCallRepository, 'loadWorld'>;
  status: Pick<GenerationStatusRepository, 'get' | 'appliedKeys'>;
}

/** What one paid attempt was, from its position and send. */
export interface AttemptKind {
  provider: 'llm' | 'images';
  taskId: string;
  /** The LLM step, or the image kind. */
  step: string;
  /** Which structured call / image round of the step (0 = the first). */
  round: number;
  /** 0 = the first request of that round, 1 = the repair request (LLM only). */
  request: number;
  send: number;
  retry: boolean;
  repair: boolean;
  topUp: boolean;
  regeneration: boolean;
}

const LLM_POSITION = /^llm:(.+):([a-z_]+):q(\d+):r(\d+)$/;
const IMAGE_POSITION = /^image:(.+):([a-z_]+):q(\d+)$/;

/** Reads a position key (paid-request.ts) back into what the attempt was; null for a key of another form. */
export function attemptKindOf(position: string, send: number): AttemptKind | null {
  const llm = LLM_POSITION.exec(position);
  if (llm) {
    const round = Number(llm[3]);
    const request = Number(llm[4]);
    return { provider: 'llm', taskId: llm[1]!, step: llm[2]!, round, request, send, retry: send > 0, repair: request > 0, topUp: round > 0, regeneration: false };
  }
  const image = IMAGE_POSITION.exec(position);
  if (image) {
    const round = Number(image[3]);
    return { provider: 'images', taskId: image[1]!, step: image[2]!, round, request: 0, send, retry: send > 0, repair: false, topUp: false, regeneration: round > 0 };
  }
  return null;
}

/** One paid attempt of the ledger, as counted in the status document. */
export interface CostEntry extends AttemptKind {
  position: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  /** Where the cost figure came from: the provider's own report, the configured price table, or the image price. */
  costSource: string;
}

/** The attempts of one step with one model. */
export interface CostLine {
  provider: 'llm' | 'images';
  step: string;
  model: string;
  /** Paid answers counted (each is one request the provider answered). */
  answers: number;
  retries: number;
  repairs: number;
  topUps: number;
  regenerations: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
}

export interface CostTotals {
  llmCostUsd: number;
  imageCostUsd: number;
  promptTokens: number;
  completionTokens: number;
}

export interface WorldCostReport {
  worldId: string;
  status: string;
  /** The world's budget in USD, or null when it has none. */
  budgetUsd: number | null;
  /**
   * Worlds with a budget: what the budget holds now — the expected cost of requests still in flight (or whose outcome
   * stayed unknown) plus the real cost of every answered one (src/domain/budget.ts). Null without a budget.
   */
  budgetCommittedUsd: number | null;
  /** Sorted by provider, step, model. */
  lines: CostLine[];
  /** Every counted attempt (for drill-down), in position order. */
  entries: CostEntry[];
  /** The sums of {@link lines}. */
  totals: CostTotals;
  /** The same figures as the status document holds them. */
  statusTotals: CostTotals;
  /**
   * Whether {@link totals} equal {@link statusTotals}: tokens exactly, costs to 1e-9 USD — the status document adds
   * doubles in the order the answers arrived, this report in position order, and floating-point addition is not
   * associative (the difference is ~1e-18 per answer).
   */
  matchesStatus: boolean;
  /**
   * Paid answers stored but not (yet) counted in the status document: in flight, or left by an attempt that was
   * never retried until the world's sweep settles them (settle-costs.ts). Not part of {@link lines}.
   */
  uncountedAnswers: number;
}

/** Tolerance of {@link WorldCostReport.matchesStatus} for costs. */
export const COST_EPSILON_USD = 1e-9;

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

function modelOf(record: Record<string, unknown>, ref: ProviderCallRef & { model?: string }): string {
  for (const candidate of [record.requested_model, ref.model, record.model]) {
    if (typeof candidate === 'string' && candidate !== '') return candidate;
  }
  return 'unknown';
}

/** The report of one world; null when the world has no status document. */
export async function worldCostReport(deps: CostReportDeps, worldId: string): Promise<WorldCostReport | null> {
  const [doc, positions, applied] = await Promise.all([
    deps.status.get(worldId),
    deps.providerCalls.loadWorld(worldId),
    deps.status.appliedKeys(worldId, 'cost:'),
  ]);
  if (!doc) return null;

  const entries: CostEntry[] = [];
  let uncountedAnswers = 0;
  for (const [position, state] of [...positions].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    for (const entry of entriesOf(position, state, applied)) {
      if (entry === 'uncounted') uncountedAnswers++;
      else entries.push(entry);
    }
  }

  const byLine = new Map<string, CostLine>();
  for (const e of entries) {
    const key = `${e.provider}|${e.step}|${e.model}`;
    const line = byLine.get(key) ?? { provider: e.provider, step: e.step, model: e.model, answers: 0, retries: 0, repairs: 0, topUps: 0, regenerations: 0, promptTokens: 0, completionTokens: 0, costUsd: 0 };
    line.answers++;
    if (e.retry) line.retries++;
    if (e.repair) line.repairs++;
    if (e.topUp) line.topUps++;
    if (e.regeneration) line.regenerations++;
    line.promptTokens += e.promptTokens;
    line.completionTokens += e.completionTokens;
    line.costUsd += e.costUsd;
    byLine.set(key, line);
  }
  const lines = [...byLine.values()].sort((a, b) => `${a.provider}|${a.step}|${a.model}`.localeCompare(`${b.provider}|${b.step}|${b.model}`));
  const totals: CostTotals = { llmCostUsd: 0, imageCostUsd: 0, promptTokens: 0, completionTokens: 0 };
  for (const l of lines) {
    if (l.provider === 'llm') totals.llmCostUsd += l.costUsd;
    else totals.imageCostUsd += l.costUsd;
    totals.promptTokens += l.promptTokens;
    totals.completionTokens += l.completionTokens;
  }
  const statusTotals: CostTotals = {
    llmCostUsd: num(doc.llm_cost_total),
    imageCostUsd: num(doc.image_cost_total),
    promptTokens: num(doc.llm_prompt_tokens),
    completionTokens: num(doc.llm_completion_tokens),
  };
  const matchesStatus =
    Math.abs(totals.llmCostUsd - statusTotals.llmCostUsd) <= COST_EPSILON_USD &&
    Math.abs(totals.imageCostUsd - statusTotals.imageCostUsd) <= COST_EPSILON_USD &&
    totals.promptTokens === statusTotals.promptTokens &&
    totals.completionTokens === statusTotals.completionTokens;
  const budget = doc.budget_usd;
  return {
    worldId,
    status: doc.status,
    budgetUsd: typeof budget === 'number' ? budget : null,
    budgetCommittedUsd: typeof budget === 'number' ? num(doc.budget_committed_usd) : null,
    lines,
    entries,
    totals,
    statusTotals,
    matchesStatus,
    uncountedAnswers,
  };
}

function* entriesOf(position: string, state: PositionState & { ref: ProviderCallRef }, applied: ReadonlySet<string>): Generator<CostEntry | 'uncounted'> {
  for (const [send, record] of [...state.results].sort(([a], [b]) => a - b)) {
    if (!applied.has(costKey(position, send))) {
      yield 'uncounted';
      continue;
    }
    const kind = attemptKindOf(position, send) ?? {
      provider: state.ref.provider,
      taskId: state.ref.taskId,
      step: 'unknown',
      round: 0,
      request: 0,
      send,
      retry: send > 0,
      repair: false,
      topUp: false,
      regeneration: false,
    };
    // The increments the status document received for this answer (the same function the activities and the sweep
    // apply), so a line can never disagree with the counters.
    const counted = costOfRecord(state.ref.provider, record);
    yield {
      ...kind,
      position,
      model: modelOf(record, state.ref),
      promptTokens: num(counted.llm_prompt_tokens),
      completionTokens: num(counted.llm_completion_tokens),
      costUsd: num(counted.llm_cost_total) + num(counted.image_cost_total),
      costSource: typeof record.cost_source === 'string' ? record.cost_source : 'provider',
    };
  }
}
