/**
 * Error translation for activities. Activities are the one place where adapter errors
 * (ky/HTTP, Connect/gRPC, MongoDB, valibot) meet Temporal, so this module decides, once,
 * which failures Temporal may retry and which fail the step for good.
 *
 * Errors are recognised by `name`/`code`, never by `instanceof`, because the same class can
 * exist twice (bundled copies, the workflow sandbox) and `instanceof` would silently miss.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Code, ConnectError } from '@connectrpc/connect';
import { ErrorTypes } from './domain/error-types';

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

/** Map any error thrown inside an activity to the ApplicationFailure Temporal should see. */
export function toApplicationFailure(err: unknown, context: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const name = nameOf(err);
  const message = `${context}: ${messageOf(err)}`;
  const cause = err instanceof Error ? err : undefined;

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
      message: `${context}: gRPC ${Code[connectError.code]}: ${connectError.rawMessage}`,
      type: retryable ? 'ServiceUnavailable' : ErrorTypes.upstreamRejected,
      nonRetryable: !retryable,
      cause,
    });
  }

  // MongoDB network/server-selection errors and anything unknown: transient until proven otherwise;
  // the activity's bounded retry policy keeps this from looping forever.
  return ApplicationFailure.create({ message, type: name || 'UnexpectedError', nonRetryable: false, cause });
}

/** Wrap an activity body so every thrown error goes through {@link toApplicationFailure}. */
export async function translateErrors<T>(context: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw toApplicationFailure(err, context);
  }
}
