import { Context } from '@temporalio/activity';

/** How often a long activity reports that it is alive; well inside the 1-minute heartbeat timeout. */
export const HEARTBEAT_INTERVAL_MS = 10_000;

/**
 * Runs a long activity body while heartbeating, so a worker that dies mid-request is noticed within
 * the heartbeat timeout and a cancellation reaches `Context.current().cancellationSignal`.
 */
export async function withHeartbeat<T>(body: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_INTERVAL_MS);
  try {
    return await body();
  } finally {
    clearInterval(timer);
  }
}
