/** Human-readable text for `status`, `list` and `cost` (the `--json` forms print the views as they are). */
import type { WorldView } from './world-view';

export const usd = (x: number) => `$${x.toFixed(4)}`;

export function formatStatus(v: WorldView): string {
  const lines = [
    `world ${v.world_id}: ${v.state}${v.current_stage && v.state === 'in_progress' ? ` (stage ${v.current_stage})` : ''}`,
    ...(v.error ? [`  error: ${v.error}`] : []),
    '  stages:',
    ...v.stages.map((s) => `    ${s.name.padEnd(18)} ${s.status}${s.reason ? ` — ${s.reason}` : ''}`),
    `  characters: ${v.characters.created}/${v.characters.requested} (avatars ${v.characters.avatars}${v.characters.ambiguous ? `, ambiguous ${v.characters.ambiguous}` : ''})`,
    `  posts:      ${v.posts.created}/${v.posts.requested}${v.posts.failed ? ` (failed ${v.posts.failed})` : ''}`,
    `  tasks:      ${v.tasks.completed} completed, ${v.tasks.failed} failed, ${v.tasks.total} total`,
    `  calls:      LLM ${v.calls.llm}/${v.calls.llm_limit}, images ${v.calls.images}/${v.calls.images_limit}`,
    `  tokens:     ${v.tokens.prompt} prompt, ${v.tokens.completion} completion`,
    `  cost:       ${usd(v.cost.total)} (LLM ${usd(v.cost.llm)}, images ${usd(v.cost.images)})`,
    ...(v.created_at ? [`  created:    ${v.created_at}${v.updated_at ? `, updated ${v.updated_at}` : ''}`] : []),
    ...(v.orchestrator
      ? [
          `  workflow:   ${v.orchestrator.workflow_id} ${v.orchestrator.status}${v.orchestrator.progress ? ` (phase ${v.orchestrator.progress.phase})` : ''}`,
        ]
      : []),
  ];
  return lines.join('\n');
}

/** Fixed-width table: columns padded to their widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ');
  return [line(header), ...rows.map(line)].join('\n');
}
