/**
 * Errors raised by the provider clients (OpenRouter, Runware, image download).
 *
 * Each class sets a stable `name` and carries `retryable`, so the activity layer can map them to
 * `ApplicationFailure`s without `instanceof` (which breaks across module copies and the workflow
 * sandbox): use the `is*` guards below, which check `name` only. This module imports only the pure
 * redaction rules, so type guards can be used anywhere. Every message built here is redacted: ky quotes
 * the request URL in its own errors, and a URL may carry credentials in its query string.
 */
import { redactedErrorChain, redactText } from '../domain/redact';

/** Which upstream an error came from. */
export type ProviderKind = 'llm' | 'images';

/** Maximum length of `bodySnippet`. */
export const BODY_SNIPPET_MAX = 500;

/**
 * The longest `Retry-After` obeyed, unless a client is given its own ceiling: the LLM and image activities' retry
 * policies never wait more than a minute between attempts (maximumInterval), and a provider asking for an hour (or
 * a hostile or broken proxy asking for a year) must not park a world's step that long. A longer request is cut to
 * the ceiling — the retry then meets the provider's own answer again.
 */
export const DEFAULT_RETRY_AFTER_CEILING_MS = 60_000;

/** A Retry-After delay capped at the ceiling; undefined stays undefined. */
export function capRetryAfter(ms: number | undefined, ceilingMs: number = DEFAULT_RETRY_AFTER_CEILING_MS): number | undefined {
  return ms === undefined ? undefined : Math.min(ms, ceilingMs);
}

/** Common shape of every provider error. */
export abstract class ProviderError extends Error {
  abstract override readonly name: ProviderErrorName;
  readonly provider: ProviderKind;
  /** Whether a new attempt may succeed (Temporal should retry). */
  abstract readonly retryable: boolean;

  constructor(provider: ProviderKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.provider = provider;
  }
}

/** Non-2xx answer, or an `error` object inside a 200 answer (OpenRouter does that). */
export class ProviderHttpError extends ProviderError {
  override readonly name = 'ProviderHttpError' as const;
  readonly status: number;
  /**
   * From `Retry-After` (seconds or HTTP date) or OpenRouter's `error.metadata.retry_after_seconds`, capped at the
   * ceiling ({@link DEFAULT_RETRY_AFTER_CEILING_MS} unless the client sets one): the delay the retry will wait.
   */
  readonly retryAfterMs: number | undefined;
  /** What the provider asked for, before the cap (diagnostics). */
  readonly requestedRetryAfterMs: number | undefined;
  /** Truncated response body with the API key redacted. */
  readonly bodySnippet: string;
  /** Provider error code when the body had one (`error.code`). */
  readonly code: string | number | undefined;
  readonly retryable: boolean;

  constructor(args: {
    provider: ProviderKind;
    status: number;
    bodySnippet: string;
    retryAfterMs?: number | undefined;
    /** @default DEFAULT_RETRY_AFTER_CEILING_MS */
    retryAfterCeilingMs?: number | undefined;
    code?: string | number | undefined;
    message?: string;
    cause?: unknown;
  }) {
    super(
      args.provider,
      args.message ?? `${args.provider} provider answered HTTP ${args.status}: ${args.bodySnippet}`,
      { cause: args.cause },
    );
    this.status = args.status;
    this.requestedRetryAfterMs = args.retryAfterMs;
    this.retryAfterMs = capRetryAfter(args.retryAfterMs, args.retryAfterCeilingMs);
    this.bodySnippet = args.bodySnippet;
    this.code = args.code;
    this.retryable = isRetryableStatus(args.status);
  }
}

/** The HTTP client's own timeout fired (not the caller's signal). */
export class ProviderTimeoutError extends ProviderError {
  override readonly name = 'ProviderTimeoutError' as const;
  readonly retryable = true;
  readonly timeoutMs: number;

  constructor(provider: ProviderKind, timeoutMs: number, options?: { cause?: unknown }) {
    super(provider, `${provider} provider did not answer within ${timeoutMs} ms`, options);
    this.timeoutMs = timeoutMs;
  }
}

/** Connection refused, reset, DNS failure… — no HTTP response was received. */
export class ProviderNetworkError extends ProviderError {
  override readonly name = 'ProviderNetworkError' as const;
  readonly retryable = true;
}

/** A 2xx answer whose envelope is unusable (non-JSON, no choices/content, Runware `errors`, …). */
export class ProviderResponseError extends ProviderError {
  override readonly name = 'ProviderResponseError' as const;
  readonly retryable: boolean;
  /** Truncated, redacted body, when useful for diagnosis. */
  readonly bodySnippet: string;

  constructor(args: {
    provider: ProviderKind;
    message: string;
    retryable: boolean;
    bodySnippet?: string;
    cause?: unknown;
  }) {
    super(args.provider, args.message, { cause: args.cause });
    this.retryable = args.retryable;
    this.bodySnippet = args.bodySnippet ?? '';
  }
}

/** The model's JSON failed validation even after the repair request. Permanent for this call. */
export class InvalidModelOutputError extends ProviderError {
  override readonly name = 'InvalidModelOutputError' as const;
  readonly retryable = false;
  /** Human-readable summary of the last validation/parse failure. */
  readonly issues: string;
  readonly schemaName: string;

  constructor(args: { schemaName: string; issues: string; cause?: unknown }) {
    super('llm', `model output for ${args.schemaName} is invalid after repair: ${args.issues}`, {
      cause: args.cause,
    });
    this.issues = args.issues;
    this.schemaName = args.schemaName;
  }
}

/** The caller's AbortSignal fired (activity cancelled). Not a provider failure. */
export class ProviderAbortedError extends ProviderError {
  override readonly name = 'ProviderAbortedError' as const;
  readonly retryable = false;
}

export type ProviderErrorName =
  | 'ProviderHttpError'
  | 'ProviderTimeoutError'
  | 'ProviderNetworkError'
  | 'ProviderResponseError'
  | 'InvalidModelOutputError'
  | 'ProviderAbortedError';

type AnyProviderError =
  | ProviderHttpError
  | ProviderTimeoutError
  | ProviderNetworkError
  | ProviderResponseError
  | InvalidModelOutputError
  | ProviderAbortedError;

const NAMES: ReadonlySet<string> = new Set<ProviderErrorName>([
  'ProviderHttpError',
  'ProviderTimeoutError',
  'ProviderNetworkError',
  'ProviderResponseError',
  'InvalidModelOutputError',
  'ProviderAbortedError',
]);

function hasName(e: unknown, name: string): boolean {
  return typeof e === 'object' && e !== null && (e as { name?: unknown }).name === name;
}

/** Any provider error, by `name`. */
export function isProviderError(e: unknown): e is AnyProviderError {
  return typeof e === 'object' && e !== null && NAMES.has(String((e as { name?: unknown }).name));
}
export const isProviderHttpError = (e: unknown): e is ProviderHttpError => hasName(e, 'ProviderHttpError');
export const isProviderTimeoutError = (e: unknown): e is ProviderTimeoutError =>
  hasName(e, 'ProviderTimeoutError');
export const isProviderNetworkError = (e: unknown): e is ProviderNetworkError =>
  hasName(e, 'ProviderNetworkError');
export const isProviderResponseError = (e: unknown): e is ProviderResponseError =>
  hasName(e, 'ProviderResponseError');
export const isInvalidModelOutputError = (e: unknown): e is InvalidModelOutputError =>
  hasName(e, 'InvalidModelOutputError');
export const isProviderAbortedError = (e: unknown): e is ProviderAbortedError =>
  hasName(e, 'ProviderAbortedError');

/** 408, 425, 429 and 5xx are worth another attempt; other statuses are permanent. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

/**
 * `Retry-After` header value → milliseconds. Accepts delta-seconds ("2", "1.5") or an HTTP date.
 * Returns undefined when absent or unparsable; never negative.
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const trimmed = value.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** OpenRouter's `error.metadata.retry_after_seconds`, in ms. */
export function retryAfterFromBody(body: unknown): number | undefined {
  const meta = (body as { error?: { metadata?: { retry_after_seconds?: unknown } } } | null)?.error?.metadata;
  const secs = meta?.retry_after_seconds;
  if (typeof secs === 'number' && Number.isFinite(secs) && secs >= 0) return Math.round(secs * 1000);
  if (typeof secs === 'string') return parseRetryAfter(secs);
  return undefined;
}

/**
 * Truncates a body for error messages, removes every occurrence of the given secrets and masks
 * credentials (URL queries and user-info, Bearer values, credential-named fields; see domain/redact).
 */
export function snippet(body: unknown, secrets: readonly string[] = [], max: number = BODY_SNIPPET_MAX): string {
  let text: string;
  if (body === undefined || body === null) text = '';
  else if (typeof body === 'string') text = body;
  else {
    try {
      text = JSON.stringify(body);
    } catch {
      text = String(body);
    }
  }
  for (const secret of secrets) {
    if (secret.length >= 4) text = text.split(secret).join('[redacted]');
  }
  text = redactText(text);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/**
 * Maps whatever ky (or fetch) threw into a provider error. Detection is by `name`, so this module
 * needs no import of ky. The caller's `signal` wins: if it is aborted, the result is
 * ProviderAbortedError whatever the underlying error.
 */
export function toProviderError(
  err: unknown,
  ctx: { provider: ProviderKind; secrets: readonly string[]; timeoutMs: number; signal?: AbortSignal | undefined; retryAfterCeilingMs?: number | undefined },
): ProviderError {
  if (isProviderError(err)) return err;
  if (ctx.signal?.aborted) {
    return new ProviderAbortedError(ctx.provider, `${ctx.provider} request aborted by caller`, { cause: redactedErrorChain(err) });
  }
  const e = err as { name?: unknown; response?: Response; data?: unknown; message?: unknown };
  if (e?.name === 'HTTPError' && e.response) {
    const status = e.response.status;
    const body = e.data;
    const retryAfterMs = parseRetryAfter(e.response.headers.get('retry-after')) ?? retryAfterFromBody(body);
    const code = (body as { error?: { code?: unknown } } | null | undefined)?.error?.code;
    return new ProviderHttpError({
      provider: ctx.provider,
      status,
      retryAfterMs,
      retryAfterCeilingMs: ctx.retryAfterCeilingMs,
      bodySnippet: snippet(body, ctx.secrets),
      code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
    });
  }
  // Causes are redacted copies: ky's errors quote the URL and hold the Request, Bun's fetch errors hold it in `path`.
  const cause = redactedErrorChain(err);
  if (e?.name === 'TimeoutError') return new ProviderTimeoutError(ctx.provider, ctx.timeoutMs, { cause });
  if (e?.name === 'AbortError') {
    // An abort we did not ask for (no caller signal) — treat as a dropped connection.
    return new ProviderNetworkError(ctx.provider, `${ctx.provider} request aborted`, { cause });
  }
  const message = snippet(typeof e?.message === 'string' ? e.message : String(err), ctx.secrets, 300);
  return new ProviderNetworkError(ctx.provider, `${ctx.provider} request failed: ${message}`, { cause });
}
