/**
 * Runs the process's role workers as one unit. A fatal error in one role must not tear shared resources (the
 * MongoDB pool, the Temporal connection) out from under the roles that are still running their activities: the
 * failing role's error makes every other role stop polling and drain within its own grace time, and only once all of
 * them have stopped does the caller close what they share. The process then exits non-zero (see main.ts), so the
 * orchestrator (k8s, compose) restarts it as a whole.
 */
import type { Logger } from '../logger';

/** What a role's worker offers (the SDK's `Worker` satisfies it). */
export interface RoleWorker {
  run(): Promise<void>;
  shutdown(): void;
  getState(): string;
}

/** A role's fatal error, naming the role; `cause` is the worker's own error. */
export class RoleFailedError extends Error {
  override readonly name = 'RoleFailedError';
  constructor(
    readonly role: string,
    cause: unknown,
  ) {
    super(`worker role "${role}" failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/**
 * Runs every worker until all have stopped. Resolves after a clean shutdown; rejects with the first
 * {@link RoleFailedError} after the other roles have been stopped and have finished draining.
 */
export async function superviseRoles(workers: ReadonlyMap<string, RoleWorker>, log: Logger): Promise<void> {
  let first: RoleFailedError | undefined;
  const stopOthers = (failed: string) => {
    for (const [role, w] of workers) {
      if (role !== failed && w.getState() === 'RUNNING') {
        log.warn('stopping worker role after another role failed', { role, failed_role: failed });
        w.shutdown();
      }
    }
  };
  await Promise.all(
    [...workers].map(async ([role, w]) => {
      try {
        await w.run();
      } catch (err) {
        const failure = new RoleFailedError(role, err);
        log.error('worker role failed', { role, error: failure.message });
        first ??= failure;
        stopOthers(role);
      }
    }),
  );
  if (first) throw first;
}
