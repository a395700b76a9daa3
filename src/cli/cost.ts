/**
 * `world cost`: a world's spend and tokens by step and model. The figures are the cost ledger's
 * (src/reports/cost-report.ts: every paid answer counted in the status document, with its retries, repairs and
 * top-ups), so the lines add up to the status document's totals; the report says whether they do.
 */
import type { Db } from 'mongodb';
import { createRepositories } from '../repositories';
import { worldCostReport, type WorldCostReport } from '../reports/cost-report';
import { table, usd } from './format';

export function costReport(db: Db, worldId: string): Promise<WorldCostReport | null> {
  return worldCostReport(createRepositories(db), worldId);
}

export function formatCost(r: WorldCostReport): string {
  const rows = r.lines.map((l) => [
    l.provider,
    l.step,
    l.model,
    String(l.answers),
    String(l.retries),
    String(l.repairs),
    String(l.topUps + l.regenerations),
    String(l.promptTokens),
    String(l.completionTokens),
    usd(l.costUsd),
  ]);
  const t = r.totals;
  rows.push(['total', '', '', String(r.lines.reduce((s, l) => s + l.answers, 0)), '', '', '', String(t.promptTokens), String(t.completionTokens), usd(t.llmCostUsd + t.imageCostUsd)]);
  const s = r.statusTotals;
  return [
    `world ${r.worldId}: ${r.status}${r.budgetUsd !== null ? `, budget ${usd(r.budgetUsd)} (committed ${usd(r.budgetCommittedUsd ?? 0)})` : ''}`,
    table(['PROVIDER', 'STEP', 'MODEL', 'ANSWERS', 'RETRIES', 'REPAIRS', 'TOP-UPS', 'PROMPT TOK', 'COMPL TOK', 'COST'], rows),
    `status document: LLM ${usd(s.llmCostUsd)}, images ${usd(s.imageCostUsd)}, tokens ${s.promptTokens} prompt / ${s.completionTokens} completion — ${r.matchesStatus ? 'matches the lines' : 'DIFFERS from the lines'}${r.uncountedAnswers ? `; ${r.uncountedAnswers} paid answers not counted yet` : ''}`,
  ].join('\n');
}
