import { Context } from '@temporalio/activity';

/**
 * How often a long activity reports that it is alive. A cancel reaches a running activity only in
 * the answer to a heartbeat, and the SDK forwards heartbeats to the server at most every 80 % of
 * the heartbeat timeout (10 s in workflows/activity-options.ts, so every 8 s) — or more often if the
 * worker sets `maxHeartbeatThrottleInterval` lower. Beating every second keeps a fresh heartbeat
 * ready for each of those windows, so a cancelled world's LLM or image request is aborted within
 * about one window and no further paid request starts (the request takes the aborted signal).
 */
export const HEARTBEAT_INTERVAL_MS = 1_000;

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
