/**
 * Whether a failed provider HTTP request provably never reached the provider: its connection could not be opened.
 * Used to give back a request that was marked sent as it left (see activities/paid-request.ts), so
 * `api_calls_made_*` counts only requests the provider received. The clients decide it on the raw fetch error
 * (provider errors carry redacted copies of their causes, without `code`/`syscall`) and flag the provider error
 * with {@link flagRefused}; callers ask {@link wasRefused}.
 *
 * Node's fetch (undici, which the worker runs on) fails with `TypeError: fetch failed` whose cause — or one of the
 * errors of an AggregateError cause, when several addresses were tried — is the system error of the `connect` or
 * `getaddrinfo` syscall. Bun's fetch (the tests; checked with Bun 1.4) throws the code itself, without a syscall,
 * with the message "…: Unable to connect…". Anything else (a reset, a timeout, a socket error after connecting) may
 * have delivered the request and is not "refused".
 */
const NODE_CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const CONNECT_SYSCALLS = new Set(['connect', 'getaddrinfo']);
const BUN_CONNECT_FAILURES = new Set([...NODE_CONNECT_FAILURES, 'ConnectionRefused']);

function errorsIn(err: unknown): unknown[] {
  const out: unknown[] = [];
  const queue: unknown[] = [err];
  while (queue.length > 0 && out.length < 20) {
    const e = queue.shift();
    if (typeof e !== 'object' || e === null || out.includes(e)) continue;
    out.push(e);
    queue.push((e as { cause?: unknown }).cause);
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner)) queue.push(...inner);
  }
  return out;
}

export function connectionRefused(err: unknown): boolean {
  return errorsIn(err).some((e) => {
    const { code, syscall, message } = e as { code?: unknown; syscall?: unknown; message?: unknown };
    if (typeof code !== 'string') return false;
    if (typeof syscall === 'string') return NODE_CONNECT_FAILURES.has(code) && CONNECT_SYSCALLS.has(syscall);
    return BUN_CONNECT_FAILURES.has(code) && typeof message === 'string' && /unable to connect/i.test(message);
  });
}

const FLAG = 'connectionRefused';

/** Flags `providerError` when the raw error shows the connection was refused; returns it. */
export function flagRefused<E extends Error>(providerError: E, raw: unknown): E {
  if (connectionRefused(raw)) Object.defineProperty(providerError, FLAG, { value: true, enumerable: false });
  return providerError;
}

/** True for an error a client flagged as a refused connection (or a raw refused-connection error). */
export function wasRefused(err: unknown): boolean {
  return (typeof err === 'object' && err !== null && (err as Record<string, unknown>)[FLAG] === true) || connectionRefused(err);
}
