/** Runs drill trials one after another against one lab and renders the summary table. */
import { DRILLS, type DrillOptions, type TrialSpec } from './drills';
import type { Lab } from './lab';
import type { WorldReport } from './world-check';

export interface TrialResult {
  drill: string;
  label: string;
  seed: number;
  base: number;
  report: WorldReport;
  ms: number;
}

/** The trials of the chosen drills (all when `only` is empty); an unknown name is an error naming the known ones. */
export function selectTrials(opts: DrillOptions & { only?: readonly string[] }): TrialSpec[] {
  const only = opts.only ?? [];
  const unknown = only.filter((n) => !DRILLS.some((d) => d.name === n));
  if (unknown.length > 0) throw new Error(`--only: unknown drill(s) ${unknown.join(', ')}; known: ${DRILLS.map((d) => d.name).join(', ')}`);
  return DRILLS.filter((d) => only.length === 0 || only.includes(d.name)).flatMap((d) => d.trials(opts));
}

export async function runTrials(lab: Lab, trials: readonly TrialSpec[], log: (line: string) => void): Promise<TrialResult[]> {
  const results: TrialResult[] = [];
  for (const [i, trial] of trials.entries()) {
    // A failed trial may leave a worker wedged (seen: a MongoDB client that never reconnected); the next trial gets
    // a fresh one so each drill is judged on its own.
    if (results.at(-1)?.report.pass === false) {
      log('   (previous trial failed: replacing the workers)');
      await lab.replaceWorkers().catch((err: unknown) => log(`   could not start a fresh worker: ${err instanceof Error ? err.message : String(err)}`));
    }
    log(`── [${i + 1}/${trials.length}] ${trial.drill}: ${trial.label}`);
    const t0 = Date.now();
    let report: WorldReport;
    try {
      report = await trial.run(lab, (line) => log(`   ${line}`));
    } catch (err) {
      report = { outcome: 'error', pass: false, duplicates: 0, lost: 0, mismatches: [`drill error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`], summary: '' };
    }
    const result = { drill: trial.drill, label: trial.label, seed: trial.seed, base: trial.base, report, ms: Date.now() - t0 };
    results.push(result);
    log(`   ${report.pass ? 'PASS' : 'FAIL'} ${report.outcome} in ${(result.ms / 1000).toFixed(1)} s — ${report.summary}`);
    for (const m of report.mismatches) log(`   ✗ ${m}`);
  }
  return results;
}

/** One row per drill: drill, trials, outcome, duplicates, lost items, mismatches, time. */
export function summaryTable(results: readonly TrialResult[]): string {
  const drills = [...new Set(results.map((r) => r.drill))];
  const rows = drills.map((drill) => {
    const rs = results.filter((r) => r.drill === drill);
    const passed = rs.filter((r) => r.report.pass).length;
    const outcomes = [...new Set(rs.map((r) => r.report.outcome))].join('/');
    return [
      drill,
      String(rs.length),
      passed === rs.length ? `pass (${outcomes})` : `FAIL ${rs.length - passed}/${rs.length} (${outcomes})`,
      String(rs.reduce((n, r) => n + r.report.duplicates, 0)),
      String(rs.reduce((n, r) => n + r.report.lost, 0)),
      String(rs.reduce((n, r) => n + r.report.mismatches.length, 0)),
      `${(rs.reduce((n, r) => n + r.ms, 0) / 1000).toFixed(0)} s`,
    ];
  });
  const header = ['drill', 'trials', 'outcome', 'duplicates', 'lost items', 'mismatches', 'time'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The failed trials with their seeds and every mismatch, for the end of the run. */
export function failureDetails(results: readonly TrialResult[]): string {
  return results
    .filter((r) => !r.report.pass)
    .map((r) => [`${r.drill} (${r.label}) → ${r.report.outcome}; rerun: bun run drill --only ${r.drill} --seed ${r.base} --seeds 1`, ...r.report.mismatches.map((m) => `    - ${m}`)].join('\n'))
    .join('\n');
}
