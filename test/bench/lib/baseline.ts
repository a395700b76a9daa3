/**
 * The `--quick` regression check: figures from a short run compared with test/bench/baseline.json.
 *
 * Every figure is "lower is better". A figure regresses when it exceeds baseline × (1 + margin), the margin set by
 * its kind in the baseline file: counts (database commands, events, tokens, payload bytes, workflows) are nearly
 * deterministic, so their margin is tight; timing ratios and milliseconds vary with the machine's load (CI runs on
 * a loaded 2-core machine), so theirs is generous. A figure that improved beyond its margin is reported so the
 * baseline can be lowered (`--update-baseline`).
 */
import { readFileSync, writeFileSync } from 'node:fs';

export type FigureKind = 'count' | 'ratio' | 'time';

export interface BaselineFile {
  /** Why the margins are what they are; printed in the report. */
  note: string;
  margins: Record<FigureKind, number>;
  figures: Record<string, { value: number; kind: FigureKind }>;
}

export interface Check {
  figure: string;
  kind: FigureKind;
  baseline: number;
  measured: number;
  limit: number;
  verdict: 'ok' | 'regressed' | 'improved' | 'missing' | 'skipped';
}

/**
 * Above this 1-minute load average per CPU, timing figures measure the neighbours rather than the worker: they are
 * reported as `skipped` instead of failing the run. Counts are always checked.
 */
export const OVERLOAD_PER_CPU = 2;

export const BASELINE_PATH = new URL('../baseline.json', import.meta.url).pathname;

export function readBaseline(path = BASELINE_PATH): BaselineFile {
  return JSON.parse(readFileSync(path, 'utf8')) as BaselineFile;
}

export function compare(baseline: BaselineFile, measured: Record<string, number>, loadPerCpu = 0): Check[] {
  return Object.entries(baseline.figures).map(([figure, { value, kind }]) => {
    const m = measured[figure];
    const margin = baseline.margins[kind];
    const limit = value * (1 + margin);
    if (m === undefined || !Number.isFinite(m)) return { figure, kind, baseline: value, measured: NaN, limit, verdict: 'missing' };
    if (kind !== 'count' && loadPerCpu > OVERLOAD_PER_CPU) return { figure, kind, baseline: value, measured: m, limit, verdict: 'skipped' };
    const verdict = m > limit ? 'regressed' : m < value / (1 + margin) ? 'improved' : 'ok';
    return { figure, kind, baseline: value, measured: m, limit, verdict };
  });
}

/** Writes the measured figures as the new baseline (kinds and margins kept; new figures need a kind). */
export function updateBaseline(baseline: BaselineFile, measured: Record<string, number>, kinds: Record<string, FigureKind>, path = BASELINE_PATH): void {
  const figures: BaselineFile['figures'] = {};
  for (const [figure, value] of Object.entries(measured)) {
    const kind = baseline.figures[figure]?.kind ?? kinds[figure];
    if (kind) figures[figure] = { value: Number(value.toPrecision(4)), kind };
  }
  writeFileSync(path, `${JSON.stringify({ ...baseline, figures }, null, 2)}\n`);
}
