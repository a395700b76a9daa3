/** Order statistics for repeated runs: the bench reports the median and the spread (min–max) of every figure. */

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p95: number;
}

export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export function summarize(values: readonly number[]): Summary {
  const s = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (s.length === 0) return { n: 0, median: NaN, min: NaN, max: NaN, p95: NaN };
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, min: s[0]!, max: s[s.length - 1]!, p95: quantile(s, 0.95) };
}

/** Summaries of every numeric field present in all of `rows`. */
export function summarizeFields<T extends object>(rows: readonly T[]): Record<string, Summary> {
  const out: Record<string, Summary> = {};
  if (rows.length === 0) return out;
  for (const key of Object.keys(rows[0]!)) {
    const values = rows.map((r) => (r as Record<string, unknown>)[key]);
    if (values.every((v) => typeof v === 'number')) out[key] = summarize(values as number[]);
  }
  return out;
}

/** "12.3 (11.9–13.0)" with `digits` decimals. */
export function fmt(s: Summary | undefined, digits = 2, scale = 1): string {
  if (!s || s.n === 0) return '—';
  const f = (v: number) => (v / scale).toFixed(digits);
  return s.n === 1 || s.min === s.max ? f(s.median) : `${f(s.median)} (${f(s.min)}–${f(s.max)})`;
}
