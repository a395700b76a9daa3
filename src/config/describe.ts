/** A log-safe view of the configuration, redacted by the declarations' `secret` / `redact` flags. */
import type { Config } from './load';
import { SECTIONS } from './registry';

const presence = (s: unknown): 'set' | 'missing' => (s === undefined || s === '' ? 'missing' : 'set');

/** Secrets become 'set' / 'missing'; values with a `redact` (URIs) are shown redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const section of SECTIONS) {
    const source = (section.key === '' ? config : (config as Record<string, unknown>)[section.key]) as Record<string, unknown>;
    if (source === null || typeof source !== 'object') continue;
    const copy: Record<string, unknown> = section.key === '' ? out : { ...source };
    for (const [key, d] of Object.entries(section.vars)) {
      if (d.kind !== 'var' || !(key in source)) continue;
      if (d.secret) copy[key] = presence(source[key]);
      else if (d.redact && typeof source[key] === 'string') copy[key] = d.redact(source[key]);
    }
    if (section.key !== '') out[section.key] = section.describe(copy);
  }
  return out;
}
