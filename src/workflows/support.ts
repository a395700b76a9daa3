/**
 * Helpers shared by the nine workflows. Workflow-safe: only @temporalio/workflow and pure modules.
 */
import {
  ApplicationFailure,
  TemporalFailure,
  executeChild,
  patched,
  proxyActivities,
  type ChildWorkflowOptions,
} from '@temporalio/workflow';
import type { ImageActivities, LlmActivities, Outcome, ProgressActivities, ServiceActivities } from '../activities/contracts';
import { workflowIdFor, type TaskType } from '../domain/task-ids';
import { ErrorTypes } from '../domain/error-types';
import { imageActivityOptions, llmActivityOptions, progressActivityOptions, serviceActivityOptions } from './activity-options';
import { TaskQueues } from '../domain/task-queues';
import type { LlmStep } from '../domain/steps';
import { Patches } from './patches';

export const progress = proxyActivities<ProgressActivities>(progressActivityOptions);
export const llm = proxyActivities<LlmActivities>(llmActivityOptions);
export const images = proxyActivities<ImageActivities>(imageActivityOptions);
export const services = proxyActivities<ServiceActivities>(serviceActivityOptions);

/**
 * Answers to `patched(id)` for the given ids, asked in the workflow's first activation before anything is awaited,
 * and used where the changed commands are issued. Asked later — after an await — an answer can fall in an activation
 * that also carries a cancel, and whether the code reaches the question then depends on microtask order, which the
 * traced workflow bundle's interceptors change: its marker was in a history recorded on the plain bundle and the
 * traced replay never asked for it (observability.e2e.test.ts replays every golden history on both). A workflow
 * started before the deploy answers false throughout and keeps the release before's steps.
 */
export function askedAtStart<K extends keyof typeof Patches>(...ids: K[]): Record<K, boolean> {
  return Object.fromEntries(ids.map((id) => [id, patched(Patches[id])])) as Record<K, boolean>;
}

/** Every non-root workflow receives only this: the task document holds the real input. */
export interface TaskRef {
  task_id: string;
}

/** Result envelope of every workflow (kept from the original, spec 2.1). Small by construction. */
export interface WorkflowResult<T> {
  success: boolean;
  data: T | null;
  error: string | null;
}

export const ok = <T>(data: T): WorkflowResult<T> => ({ success: true, data, error: null });

/** Short, human-readable cause of a failure (activity/child failures nest the real reason). */
export function describeFailure(err: unknown): string {
  let current: unknown = err;
  let message = err instanceof Error ? err.message : String(err);
  while (current instanceof Error && current.cause) {
    current = current.cause;
    if (current instanceof Error && current.message) message = current.message;
  }
  return message.length > 500 ? `${message.slice(0, 497)}...` : message;
}

/**
 * Runs a workflow body so that a bug in workflow code (a TypeError, a bad index) fails the
 * execution non-retryably instead of failing the workflow *task*, which Temporal would retry
 * forever (the original's endless loops, spec 15.19). Temporal failures pass through unchanged.
 */
export async function guarded<T>(name: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    if (err instanceof TemporalFailure) throw err;
    throw ApplicationFailure.create({
      message: `${name}: unexpected error in workflow code: ${describeFailure(err)}`,
      type: ErrorTypes.workflowBug,
      nonRetryable: true,
    });
  }
}

/** Fails the current workflow for good with a reason that names the step. */
export function stepFailed(step: string, err: unknown): ApplicationFailure {
  return ApplicationFailure.create({ message: `${step} failed: ${describeFailure(err)}`, type: ErrorTypes.stepFailed, nonRetryable: true });
}

/**
 * Starts a child for a task and waits for its result. The child's id comes from the task id, so a
 * parent that is replayed or re-run reaches the same child rather than a copy.
 */
export function runChild<W extends (ref: TaskRef) => Promise<unknown>>(
  workflowType: string,
  type: TaskType,
  taskId: string,
  options: Partial<ChildWorkflowOptions> = {},
  /** More of the child's input beside its task id (e.g. a character's planned first post batch). */
  input: Record<string, unknown> = {},
): Promise<Awaited<ReturnType<W>>> {
  return executeChild<W>(workflowType, {
    ...options,
    workflowId: workflowIdFor(type, taskId),
    taskQueue: TaskQueues.main,
    args: [{ task_id: taskId, ...input }] as Parameters<W>,
  }) as Promise<Awaited<ReturnType<W>>>;
}

/**
 * Marks the task started while its first step already runs: the bookkeeping write is off the
 * critical path (each sequential activity costs a task-queue round trip).
 */
export async function beginWith<T>(taskId: string, firstStep: Promise<T>): Promise<T> {
  const [, result] = await Promise.all([progress.beginTask(taskId), firstStep]);
  return result;
}

/**
 * A task's first step, an LLM step: since release 0.3 (`step-begins-task`) the step's own activity marks the task
 * started, so no beginTask activity runs beside it (19 activities fewer in a 3×10 world). Histories without the
 * marker get the release before's commands: the step, then beginTask beside it.
 */
export function beginLlmStep(taskId: string, step: LlmStep): Promise<{ items: number }> {
  if (patched(Patches.stepBeginsTask)) return llm.runLlmStep({ taskId, step, begin: true });
  return beginWith(taskId, llm.runLlmStep({ taskId, step }));
}

/**
 * Counts the outcome that is a task's work (a post created, an avatar set) and closes the task. Since release 0.3
 * (`outcome-closes-task`) one activity does both; histories without the marker get the two activities side by side.
 */
export function recordOutcomeAndClose(worldId: string, taskId: string, outcome: Outcome): Promise<unknown> {
  if (patched(Patches.outcomeClosesTask)) return progress.recordOutcome({ worldId, taskId, outcome, close: true });
  return Promise.all([progress.recordOutcome({ worldId, taskId, outcome }), closeTask(taskId, 'completed')]);
}

/** Marks the task done (or failed) in MongoDB; failures of this bookkeeping must not mask the real outcome. */
export async function closeTask(taskId: string, outcome: 'completed' | 'failed', error?: string): Promise<void> {
  await progress.finishTask({ taskId, outcome, ...(error !== undefined ? { error } : {}) });
}

/** Sum of settled child results, counting rejected children as failures. */
export function settledValues<T>(results: PromiseSettledResult<T>[]): { values: T[]; failures: string[] } {
  const values: T[] = [];
  const failures: string[] = [];
  for (const r of results) {
    if (r.status === 'fulfilled') values.push(r.value);
    else failures.push(describeFailure(r.reason));
  }
  return { values, failures };
}
