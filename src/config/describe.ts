/** A log-safe view of the configuration, redacted by the declarations' `secret` / `redact` flags. */
import { redactUrl } from '../domain/redact';
import type { Config } from './load';
import { SECTIONS } from './registry';

/**
 * Every URL anywhere in the view loses its user-info and query string (`?[redacted]`): not only the MongoDB URI may
 * carry credentials — a base URL with `?api-key=…` (some OpenAI-compatible gateways), a proxy's `user:pass@`, an
 * endpoint with a token — and the start-up log prints this view.
 */
function redactUrls(value: unknown): unknown {
  if (typeof value === 'string') return redactUrl(value);
  if (Array.isArray(value)) return value.map(redactUrls);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactUrls(v)]));
  return value;
}

const presence = (s: unknown): 'set' | 'missing' => (s === undefined || s === '' ? 'missing' : 'set');

/** Secrets become 'set' / 'missing'; values with a `redact` (URIs) are shown redacted; every URL loses user-info and query. */
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
  return redactUrls(out) as Record<string, unknown>;
}
