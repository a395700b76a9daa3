/**
 * How a workflow's task ends when it does not succeed: one place instead of a catch block per
 * workflow. Workflow-safe: only @temporalio/workflow and pure modules.
 *
 * The clean-up (stage failed, post counted as failed, task closed, world settled) must run even when
 * the workflow is being cancelled — in a cancelled scope Temporal would refuse to schedule it and the
 * world would stay `in_progress` for ever — so it runs in a non-cancellable scope. A clean-up step
 * that fails is logged and skipped: the failure the workflow reports is the one that happened.
 */
import { CancellationScope, CancelledFailure, isCancellation, log, patched } from '@temporalio/workflow';
import { CANCELLED_REASON } from '../domain/stages';
import { Patches } from './patches';
import { closeTask, describeFailure, stepFailed } from './support';

/** The reason recorded on tasks, stages and the world when a cancel stopped them. */
export const CANCELLED = CANCELLED_REASON;

/**
 * True once cancellation of this workflow was requested. Call it from the workflow's own (root)
 * scope: inside a non-cancellable scope it is always false.
 */
export function cancelRequested(): boolean {
  return CancellationScope.current().consideredCancelled;
}

/** Why a task did not succeed, as its clean-up sees it. */
export interface TaskFailure {
  /** Short reason written to the task, the stage and the world: `cancelled` for a cancel. */
  reason: string;
  cancelled: boolean;
}

/** One clean-up step; `name` is what the log says if it fails. */
export interface CleanUp {
  name: string;
  run: () => Promise<unknown>;
}

export interface TaskRun<T> {
  taskId: string;
  /** Names the step in the failure message ("world images failed: …"). */
  step: string;
  body: () => Promise<T>;
  /** Bookkeeping before the task is closed as failed, in this order. */
  beforeClose?: (failure: TaskFailure) => CleanUp[];
  /** Bookkeeping after the task is closed (e.g. settling the world), in this order. */
  afterClose?: (failure: TaskFailure) => CleanUp[];
}

/**
 * Runs a task's steps. On failure or cancel it runs the clean-up, closes the task as failed and
 * throws: a StepFailed failure naming the step, or — when this workflow is being cancelled — a
 * cancellation, so the workflow closes as Cancelled.
 */
export async function runTask<T>(run: TaskRun<T>): Promise<T> {
  try {
    return await run.body();
  } catch (err) {
    throw await endFailedTask(run, err);
  }
}

async function endFailedTask<T>(run: TaskRun<T>, err: unknown): Promise<unknown> {
  if (!patched(Patches.settleOnCancel)) {
    // The release before: clean-up in the current scope, and a failing clean-up throws instead.
    const reason = describeFailure(err);
    for (const step of run.beforeClose?.({ reason, cancelled: false }) ?? []) await step.run();
    await closeTask(run.taskId, 'failed', reason);
    return stepFailed(run.step, err);
  }
  const cancelled = cancelRequested();
  const failure: TaskFailure = { reason: cancelled ? CANCELLED : describeFailure(err), cancelled };
  await settle(run.taskId, failure, [
    ...(run.beforeClose?.(failure) ?? []),
    { name: 'finishTask', run: () => closeTask(run.taskId, 'failed', failure.reason) },
    ...(run.afterClose?.(failure) ?? []),
  ]);
  return cancelled ? asCancellation(err) : stepFailed(run.step, err);
}

/**
 * For a workflow that learns of its cancel after its own steps (while waiting for children): runs
 * the clean-up and closes the task as failed with reason `cancelled`. Returns the failure to throw,
 * or null where the release before had no such path (its history continues as it did then).
 */
export async function endCancelledTask(taskId: string, beforeClose: CleanUp[] = []): Promise<CancelledFailure | null> {
  if (!cancelRequested() || !patched(Patches.settleOnCancel)) return null;
  const failure: TaskFailure = { reason: CANCELLED, cancelled: true };
  await settle(taskId, failure, [...beforeClose, { name: 'finishTask', run: () => closeTask(taskId, 'failed', CANCELLED) }]);
  return new CancelledFailure(CANCELLED);
}

/**
 * Bookkeeping of work that is already done (the post exists, the avatar is set): it must land even
 * if a cancel arrives now, or the world would under-count what it made.
 */
export function recordDone<T>(fn: () => Promise<T>): Promise<T> {
  return patched(Patches.settleOnCancel) ? CancellationScope.nonCancellable(fn) : fn();
}

/** Runs clean-up steps one after another, outside cancellation; a failing step is logged, not thrown. */
export async function settle(taskId: string, failure: TaskFailure, steps: CleanUp[]): Promise<void> {
  await CancellationScope.nonCancellable(async () => {
    for (const step of steps) {
      try {
        await step.run();
      } catch (err) {
        log.warn('clean-up step failed; the failure it followed is still the one reported', {
          task_id: taskId,
          clean_up: step.name,
          clean_up_error: describeFailure(err),
          failure: failure.reason,
        });
      }
    }
  });
}

/** A cancellation to rethrow: the original one if it is one, else a fresh CancelledFailure. */
function asCancellation(err: unknown): unknown {
  return isCancellation(err) ? err : new CancelledFailure(CANCELLED);
}

/**
 * Closes a task whose outcome is already decided. If the bookkeeping itself fails, that is logged and
 * the workflow still reports its real outcome (a cancellation still propagates).
 */
export async function closeTaskLogged(taskId: string, outcome: 'completed' | 'failed', error?: string): Promise<void> {
  try {
    await closeTask(taskId, outcome, error);
  } catch (err) {
    if (isCancellation(err) || !patched(Patches.settleOnCancel)) throw err;
    log.warn('closing the task failed; the workflow still reports its outcome', { task_id: taskId, outcome, clean_up_error: describeFailure(err) });
  }
}
