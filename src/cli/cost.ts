/**
 * `world cost`: a world's spend and tokens by step and model, from the audit trail `api_requests_history` (one row
 * per request sent: step = `request_type`, model = `request_data.model`), next to the status document's totals,
 * which are the exact keyed figures world-service shows. They agree unless an LLM answer was lost in transit (its
 * request is audited with an error and no cost, see ARCHITECTURE "Paying exactly once").
 *
 * Grouped here rather than with `$group`: FerretDB 1.24 implements only part of the aggregation pipeline, and a
 * world has at most a few thousand requests. gRPC rows (`api_type: grpc`) cost nothing and are left out.
 */
import type { Db } from 'mongodb';
import { readStatus, viewOf } from './world-view';

export interface CostLine {
  step: string;
  model: string;
  requests: number;
  errors: number;
  prompt_tokens: number;
  completion_tokens: number;
  cost: number;
}

export interface CostReport {
  world_id: string;
  lines: CostLine[];
  /** Sums over the lines (requests as audited). */
  audited: { requests: number; cost: number; prompt_tokens: number; completion_tokens: number };
  /** The status document's exact totals. */
  status: { llm_calls: number; image_calls: number; llm_cost: number; image_cost: number; prompt_tokens: number; completion_tokens: number } | null;
}

type AuditRow = {
  request_type: string;
  request_data?: { model?: string };
  prompt_tokens?: number | null;
  completion_tokens?: number | null;
  cost?: number | null;
  error?: string | null;
};

export async function costReport(db: Db, worldId: string): Promise<CostReport> {
  const rows = await db
    .collection<AuditRow & { world_id: string }>('api_requests_history')
    .find({ world_id: worldId, api_type: { $in: ['llm', 'image_generation'] } }, { projection: { request_type: 1, 'request_data.model': 1, prompt_tokens: 1, completion_tokens: 1, cost: 1, error: 1 } })
    .toArray();
  const byKey = new Map<string, CostLine>();
  for (const r of rows) {
    const model = r.request_data?.model ?? '-';
    const key = `${r.request_type}\u0000${model}`;
    let line = byKey.get(key);
    if (!line) {
      line = { step: r.request_type, model, requests: 0, errors: 0, prompt_tokens: 0, completion_tokens: 0, cost: 0 };
      byKey.set(key, line);
    }
    line.requests++;
    if (r.error) line.errors++;
    line.prompt_tokens += r.prompt_tokens ?? 0;
    line.completion_tokens += r.completion_tokens ?? 0;
    line.cost += r.cost ?? 0;
  }
  const lines = [...byKey.values()].sort((a, b) => a.step.localeCompare(b.step) || a.model.localeCompare(b.model));
  const sum = (f: (l: CostLine) => number) => lines.reduce((s, l) => s + f(l), 0);
  const doc = await readStatus(db, worldId);
  const v = doc ? viewOf(worldId, doc) : undefined;
  return {
    world_id: worldId,
    lines,
    audited: { requests: sum((l) => l.requests), cost: sum((l) => l.cost), prompt_tokens: sum((l) => l.prompt_tokens), completion_tokens: sum((l) => l.completion_tokens) },
    status: v
      ? { llm_calls: v.calls.llm, image_calls: v.calls.images, llm_cost: v.cost.llm, image_cost: v.cost.images, prompt_tokens: v.tokens.prompt, completion_tokens: v.tokens.completion }
      : null,
  };
}
