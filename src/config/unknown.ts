/**
 * Variables that look like ours (a declared name's first segment: `TEMPORAL_`, `MONGODB_`, `LLM_`, …) but are not
 * declared are almost always misspellings that would otherwise be silently ignored. They are reported with the
 * closest declared name. Warnings, not errors: a platform may set variables for other programs with our prefixes.
 */
import { SECTIONS, VARIABLES } from './registry';

/** The prefixes we watch, derived from the declarations. */
export const WATCHED_PREFIXES: readonly string[] = [...new Set(VARIABLES.map((v) => `${v.name.split('_')[0]}_`))].sort();

const KNOWN = new Set(VARIABLES.map((v) => v.name));
const PASS_THROUGH = SECTIONS.flatMap((s) => s.passThroughPrefixes);

/**
 * Kubernetes injects `<SERVICE>_SERVICE_HOST`, `<SERVICE>_PORT_8082_TCP_ADDR`, … for every service in the namespace
 * (unless `enableServiceLinks: false`), so a service named `temporal` or `post-service` produces variables with our
 * prefixes that are nobody's typo.
 */
const SERVICE_LINK = /_(SERVICE_HOST|SERVICE_PORT(_[A-Z0-9_]+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(ADDR|PORT|PROTO))?)?)$/;

/** Levenshtein distance (small strings, so the plain two-row dynamic programme). */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

export interface UnknownVariable {
  readonly name: string;
  /** The closest declared name, when it is close enough to be a plausible typo. */
  readonly suggestion: string | undefined;
}

export function unknownVariables(env: Record<string, string | undefined>): UnknownVariable[] {
  const out: UnknownVariable[] = [];
  for (const name of Object.keys(env).sort()) {
    if (KNOWN.has(name) || !WATCHED_PREFIXES.some((p) => name.startsWith(p))) continue;
    if (PASS_THROUGH.some((p) => name.startsWith(p)) || SERVICE_LINK.test(name)) continue;
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const known of KNOWN) {
      const d = editDistance(name, known);
      if (d < bestDistance) [best, bestDistance] = [known, d];
    }
    out.push({ name, suggestion: bestDistance <= Math.max(2, Math.floor(name.length / 3)) ? best : undefined });
  }
  return out;
}

/** One line per unknown variable, e.g. `MONGODB_URL is not a known variable (did you mean MONGODB_URI?)`. */
export function unknownVariableWarnings(env: Record<string, string | undefined> = process.env): string[] {
  return unknownVariables(env).map(
    (u) => `${u.name} is not a known variable and is ignored${u.suggestion ? ` (did you mean ${u.suggestion}?)` : ''}`,
  );
}
