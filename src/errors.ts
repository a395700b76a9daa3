/**
 * Error translation for activities. Activities are the one place where adapter errors
 * (ky/HTTP, Connect/gRPC, MongoDB, valibot) meet Temporal, so this module decides, once,
 * which failures Temporal may retry and which fail the step for good.
 *
 * Errors are recognised by `name`/`code`, never by `instanceof`, because the same class can
 * exist twice (bundled copies, the workflow sandbox) and `instanceof` would silently miss.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorTypes } from './domain/error-types';
import { MAX_CAUSE_DEPTH, redactedErrorNode, redactText } from './domain/redact';

/** A failure no retry can fix: bad data we own, or a limit the world has reached. */
export class PermanentStepError extends Error {
  override readonly name = 'PermanentStepError';
  constructor(
    message: string,
    readonly type: string,
  ) {
    super(message);
  }
}

const PERMANENT_HTTP = new Set([400, 401, 402, 403, 404, 405, 409, 410, 413, 422]);
const RETRYABLE_GRPC = new Set([Code.Unavailable, Code.DeadlineExceeded, Code.ResourceExhausted, Code.Aborted, Code.Internal, Code.Unknown, Code.Canceled]);

type Named = { name?: unknown; message?: unknown };

function nameOf(err: unknown): string {
  return typeof err === 'object' && err !== null && typeof (err as Named).name === 'string' ? ((err as Named).name as string) : '';
}

function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/**
 * A copy of an error chain that is safe to hand to Temporal: name, message, stack and cause only, each
 * message and stack passed through {@link redactText}. Temporal serialises exactly these fields of a
 * cause (message, stack trace, cause), and the worker's logger prints the error with util.inspect, which
 * would also print own properties such as ky's `request` (the full presigned URL); a copy has none.
 * ApplicationFailures in the chain stay ApplicationFailures (type, retryability and details kept).
 */
export function redactError(err: unknown, depth = 0): Error | undefined {
  if (err === undefined || err === null || depth >= MAX_CAUSE_DEPTH) return undefined;
  const cause = err instanceof Error ? redactError((err as { cause?: unknown }).cause, depth + 1) : undefined;
  if (!(err instanceof ApplicationFailure)) return redactedErrorNode(err, cause);
  const copy = ApplicationFailure.create({
    message: redactText(err.message),
    ...(err.type ? { type: err.type } : {}),
    nonRetryable: err.nonRetryable === true,
    ...(err.details ? { details: err.details } : {}),
    ...(err.nextRetryDelay !== undefined && err.nextRetryDelay !== null ? { nextRetryDelay: err.nextRetryDelay } : {}),
    ...(err.category !== undefined && err.category !== null ? { category: err.category } : {}),
    ...(cause ? { cause } : {}),
  });
  copy.stack = redactText(err.stack ?? '');
  return copy;
}

function chainNeedsRedaction(err: unknown, depth = 0): boolean {
  if (!(err instanceof Error) || depth >= MAX_CAUSE_DEPTH) return err !== undefined && err !== null && !(err instanceof Error);
  if (redactText(err.message) !== err.message || redactText(err.stack ?? '') !== (err.stack ?? '')) return true;
  return chainNeedsRedaction((err as { cause?: unknown }).cause, depth + 1);
}

/** Map any error thrown inside an activity to the ApplicationFailure Temporal should see (credentials redacted). */
export function toApplicationFailure(err: unknown, context: string): ApplicationFailure {
  // Our own failures keep their identity unless something in them needs masking.
  if (err instanceof ApplicationFailure) return chainNeedsRedaction(err) ? (redactError(err) as ApplicationFailure) : err;
  const name = nameOf(err);
  // The message is redacted before the failure is built: its stack trace starts with the message.
  const message = redactText(`${context}: ${messageOf(err)}`);
  const cause = redactError(err);

  switch (name) {
    case 'PermanentStepError':
      return ApplicationFailure.create({ message, type: (err as PermanentStepError).type, nonRetryable: true, cause });
    case 'ProviderHttpError': {
      const { status, retryAfterMs } = err as { status: number; retryAfterMs?: number };
      if (PERMANENT_HTTP.has(status)) {
        return ApplicationFailure.create({ message, type: ErrorTypes.upstreamRejected, nonRetryable: true, cause });
      }
      // 408/429/5xx: retry, and let the provider's Retry-After decide when (Temporal's nextRetryDelay
      // overrides the backoff for exactly this attempt).
      return ApplicationFailure.create({
        message,
        type: 'UpstreamUnavailable',
        nonRetryable: false,
        cause,
        ...(retryAfterMs !== undefined && retryAfterMs > 0 ? { nextRetryDelay: retryAfterMs } : {}),
      });
    }
    case 'InvalidModelOutputError':
      return ApplicationFailure.create({ message, type: ErrorTypes.invalidModelOutput, nonRetryable: true, cause });
    case 'ProviderResponseError': {
      const retryable = (err as { retryable?: boolean }).retryable !== false;
      return ApplicationFailure.create({ message, type: retryable ? 'UpstreamMalformed' : ErrorTypes.upstreamRejected, nonRetryable: !retryable, cause });
    }
    case 'ProviderTimeoutError':
    case 'ProviderNetworkError':
    case 'ProviderAbortedError':
      return ApplicationFailure.create({ message, type: 'UpstreamUnavailable', nonRetryable: false, cause });
    case 'UploadHttpError': {
      const status = (err as { status?: number }).status ?? 0;
      const permanent = PERMANENT_HTTP.has(status) && status !== 403; // 403 = expired presigned URL: a retry re-presigns
      return ApplicationFailure.create({ message, type: permanent ? ErrorTypes.upstreamRejected : 'UploadFailed', nonRetryable: permanent, cause });
    }
    case 'UploadNetworkError':
      return ApplicationFailure.create({ message, type: 'UploadFailed', nonRetryable: false, cause });
    case 'NotFoundError':
    case 'RepositoryValidationError':
      return ApplicationFailure.create({ message, type: ErrorTypes.missingData, nonRetryable: true, cause });
    case 'ValiError':
      return ApplicationFailure.create({ message, type: ErrorTypes.invalidInput, nonRetryable: true, cause });
  }

  if (name === 'ConnectError' || err instanceof ConnectError) {
    const connectError = ConnectError.from(err);
    const retryable = RETRYABLE_GRPC.has(connectError.code);
    return ApplicationFailure.create({
      message: redactText(`${context}: gRPC ${Code[connectError.code]}: ${connectError.rawMessage}`),
      type: retryable ? 'ServiceUnavailable' : ErrorTypes.upstreamRejected,
      nonRetryable: !retryable,
      cause,
    });
  }

  // MongoDB network/server-selection errors and anything unknown: transient until proven otherwise;
  // the activity's bounded retry policy keeps this from looping forever.
  return ApplicationFailure.create({ message, type: name || 'UnexpectedError', nonRetryable: false, cause });
}

/** True when the running activity has been cancelled (false outside an activity). */
function activityCancelled(): boolean {
  try {
    return Context.current().cancellationSignal.aborted;
  } catch {
    return false;
  }
}

/**
 * The error an activity should throw for `err`. A cancelled activity must end with a CancelledFailure
 * (the SDK reports the activity as cancelled only for that, or for an AbortError, while its signal is
 * aborted); whatever the cancelled request threw is kept as the redacted cause.
 */
export function activityError(err: unknown, context: string): Error {
  if (err instanceof CancelledFailure || activityCancelled()) {
    const message = redactText(err instanceof Error ? err.message : String(err));
    if (err instanceof CancelledFailure && message === err.message && !chainNeedsRedaction(err)) return err;
    return new CancelledFailure(message, undefined, redactError(err instanceof CancelledFailure ? err.cause : err));
  }
  return toApplicationFailure(err, context);
}

/** Wrap an activity body so every thrown error goes through {@link toApplicationFailure}. */
export async function translateErrors<T>(context: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw activityError(err, context);
  }
}

/**
 * Worker interceptor: the last place an activity's error passes before the SDK logs it and sends it to
 * Temporal. Activities already translate their errors; this catches anything thrown outside
 * {@link translateErrors} and masks credentials in it, so no activity can leak a URL by forgetting.
 * Register with `Worker.create({ interceptors: { activity: [redactActivityFailures] } })`.
 */
export const redactActivityFailures: ActivityInterceptorsFactory = (ctx) => {
  const inbound: ActivityInboundCallsInterceptor = {
    async execute(input, next) {
      try {
        return await next(input);
      } catch (err) {
        throw activityError(err, ctx.info.activityType);
      }
    },
  };
  return { inbound };
};
