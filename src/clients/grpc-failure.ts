/**
 * What a failed gRPC call tells us about its effect. The Go services ignore idempotency keys, so a creation that
 * failed in an unknown way may have committed, and retrying it blindly can create a second row. Callers that create
 * things ask this module which of three cases they are in:
 *
 * - `not_sent`: the request provably never reached the service. connect-node surfaces a failed connection attempt
 *   (nothing written yet) as UNAVAILABLE whose cause chain holds the Node error of the `connect`/`getaddrinfo`
 *   syscall (ECONNREFUSED, ENOTFOUND, EAI_AGAIN, EHOSTUNREACH, …); an HTTP/2 REFUSED_STREAM guarantees the server
 *   did not process the stream (RFC 9113 §8.7). Safe to send again.
 * - `answered`: the service's handler answered with a status it returns *instead of* committing (validation,
 *   not found, permission, or the Go services' generic INTERNAL when the database refused the write). The answer
 *   arrived as a real gRPC status (`grpc-status` in the response metadata), so it came from the server, not from
 *   our transport. Nothing was created.
 * - `ambiguous`: everything else — a deadline, a reset or UNAVAILABLE after the request was written, a status a
 *   proxy or the gRPC runtime produced. The effect may have happened; reconcile before creating again.
 */
import { Code, ConnectError } from '@connectrpc/connect';

export type CallFailureKind = 'not_sent' | 'answered' | 'ambiguous';

/** Node error codes of a connection that could not be opened: no byte of any request was written. */
const CONNECT_FAILURES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);
const CONNECT_SYSCALLS = new Set(['connect', 'getaddrinfo']);

/**
 * Codes the Go handlers return before (or instead of) the INSERT commits. INTERNAL is included because every
 * creation handler maps a failed INSERT to it ("Failed to create character", "failed to create post"); treating it
 * as ambiguous would turn each database hiccup into a permanently unresolved character.
 */
const DECIDED_CODES = new Set([
  Code.InvalidArgument,
  Code.NotFound,
  Code.AlreadyExists,
  Code.PermissionDenied,
  Code.FailedPrecondition,
  Code.OutOfRange,
  Code.Unimplemented,
  Code.Unauthenticated,
  Code.Internal,
]);

function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  let cur: unknown = err;
  while (cur !== undefined && cur !== null && !chain.includes(cur) && chain.length < 10) {
    chain.push(cur);
    cur = typeof cur === 'object' ? (cur as { cause?: unknown }).cause : undefined;
  }
  return chain;
}

function neverConnected(err: unknown): boolean {
  return causeChain(err).some((e) => {
    if (typeof e !== 'object' || e === null) return false;
    const { code, syscall } = e as { code?: unknown; syscall?: unknown };
    if (typeof code !== 'string' || !CONNECT_FAILURES.has(code)) return false;
    // Without a syscall we cannot tell a failed connect from a later socket error; only trust the connect phase.
    return typeof syscall === 'string' && CONNECT_SYSCALLS.has(syscall);
  });
}

/** Classifies the failure of one unary call (see the module comment). Errors that are not gRPC errors are ambiguous. */
export function classifyCallFailure(err: unknown): CallFailureKind {
  if (!(err instanceof Error)) return 'ambiguous';
  if (neverConnected(err)) return 'not_sent';
  if (err.name !== 'ConnectError' && !(err instanceof ConnectError)) return 'ambiguous';
  const ce = ConnectError.from(err);
  if (ce.code === Code.Unavailable && /\bREFUSED_STREAM\b/.test(ce.rawMessage)) return 'not_sent';
  if (ce.metadata.has('grpc-status') && DECIDED_CODES.has(ce.code)) return 'answered';
  return 'ambiguous';
}
