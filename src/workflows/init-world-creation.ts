/**
 * InitWorldCreationWorkflow — the platform's entry point (contract, spec 12 and 17).
 *
 * world-service starts it with id `init-world-<world_id>` on `ai-worker-main` and a 30-minute
 * execution timeout, so it must not do the long work itself: it validates the input, records the
 * world, hands everything to GenerateWorldDescriptionWorkflow (ABANDON, so the child outlives this
 * run) and returns within seconds.
 *
 * A start may be re-sent (world-service's default id-reuse policy allows a second run of this id).
 * A world that already completed or failed is left exactly as it is — nothing written, nothing
 * spent — and the result says why; a start while the world runs joins it.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdReusePolicy } from '@temporalio/common';
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  patched,
  startChild,
} from '@temporalio/workflow';
import { taskIds, TaskTypes, workflowIdFor } from '../domain/task-ids';
import { parseInitWorldArgs, type InitWorldInput } from '../schemas/world-input';
import { ErrorTypes } from '../domain/error-types';
import type { GenerateWorldDescriptionWorkflow } from './generate-world-description';
import { Patches } from './patches';
import { CANCELLED, settle } from './run-task';
import { closeTask, guarded, ok, progress, type WorkflowResult } from './support';
import { TaskQueues } from '../domain/task-queues';

export interface InitWorldResult {
  message: string;
  world_id: string;
  child_workflow_id: string;
  users_count: number;
  posts_count: number;
}

// Rest arguments: a start sent with two arguments must be refused, not silently run on the first one. A
// one-argument start (every start world-service sends, every recorded history) is validated exactly as before.
export async function InitWorldCreationWorkflow(...args: unknown[]): Promise<WorkflowResult<InitWorldResult>> {
  return guarded('InitWorldCreationWorkflow', async () => {
    const parsed = parseInitWorldArgs(args);
    if (!parsed.ok) {
      // Record the rejection where the platform looks (if we know which world it is), spend nothing,
      // and fail for good: the same input can never succeed.
      if (parsed.worldId) await progress.rejectWorld({ worldId: parsed.worldId, problems: parsed.problems });
      throw ApplicationFailure.create({
        message: `Invalid InitWorldCreationWorkflow input: ${parsed.problems.join('; ')}`,
        type: ErrorTypes.invalidInput,
        nonRetryable: true,
      });
    }
    const input = parsed.value;
    if (patched(Patches.rootStartsOnce)) return startOnce(input);
    return startLegacy(input);
  });
}

const result = (input: InitWorldInput, message: string): WorkflowResult<InitWorldResult> =>
  ok({
    message,
    world_id: input.world_id,
    child_workflow_id: workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(input.world_id)),
    users_count: input.characters_count,
    posts_count: input.posts_count,
  });

/**
 * Starts the world unless it already ended. The body is a few short steps and runs to its end even
 * if a cancel arrives meanwhile, so that afterwards the root knows exactly what exists: the
 * orchestrator (ABANDONed — Temporal does not pass the cancel on) is then cancelled explicitly, or,
 * if it was never started, the world is settled here.
 */
async function startOnce(input: InitWorldInput): Promise<WorkflowResult<InitWorldResult>> {
  const worldId = input.world_id;
  const childId = workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId));
  const root = CancellationScope.current();
  let orchestrator: 'none' | 'started' | 'running' = 'none';
  let recorded: string | null = null;

  const message = await CancellationScope.nonCancellable(async () => {
    // Since `root-opens-world` one activity inspects and (unless the world is settled) records the world: one hop
    // fewer before the orchestrator starts. (A retry of it after the record was written sees the world `running`,
    // not `absent`: the root then starts the orchestrator and cancels it if a cancel came meanwhile.)
    const opened = patched(Patches.rootOpensWorld) ? await progress.openWorld(input) : null;
    const world = opened?.world ?? (await progress.inspectWorld({ worldId }));
    if (world.state === 'completed' || world.state === 'failed') {
      const why = world.reason ? ` (${world.reason})` : '';
      return `World ${worldId} already ${world.state}${why}; a re-sent start changes nothing and spends nothing`;
    }
    // openWorld records every world it does not find settled, so its task id is there whenever we get here.
    const descriptionTaskId = opened ? opened.descriptionTaskId! : (await progress.startWorld(input)).descriptionTaskId;
    recorded = descriptionTaskId;
    // A world nobody has started yet is not started once the cancel is known.
    if (root.consideredCancelled && world.state === 'absent') return 'World generation cancelled before it started';
    try {
      await startChild<typeof GenerateWorldDescriptionWorkflow>('GenerateWorldDescriptionWorkflow', {
        workflowId: childId,
        taskQueue: TaskQueues.main,
        args: [{ task_id: descriptionTaskId }],
        // The world outlives this run's 30-minute timeout.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // One orchestrator run per world, ever: a closed one (completed, failed, cancelled) is never re-run.
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
      orchestrator = 'started';
      return 'World generation initialized successfully';
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // Running (e.g. the platform re-sent the start): that run is the world.
      orchestrator = 'running';
      return world.state === 'running'
        ? `World ${worldId} is already being generated; this start joined it`
        : `World ${worldId} already has its generation run; this start did not begin another`;
    }
  });

  if (!root.consideredCancelled) return result(input, message);
  const descriptionTaskId: string | null = recorded;
  const failure = { reason: CANCELLED, cancelled: true };
  if (orchestrator !== 'none') {
    // The orchestrator settles the world when its tree has stopped. If it has already closed, it
    // settled the world itself; the failed cancel is only logged.
    await settle(childId, failure, [{ name: 'cancelOrchestrator', run: () => getExternalWorkflowHandle(childId).cancel() }]);
  } else if (descriptionTaskId !== null) {
    // Recorded but never started: close the description task and settle every stage here.
    await settle(descriptionTaskId, failure, [
      { name: 'finishTask', run: () => closeTask(descriptionTaskId, 'failed', CANCELLED) },
      { name: 'finishWorld', run: () => progress.finishWorld({ worldId, cancelled: true }) },
    ]);
  }
  throw new CancelledFailure(CANCELLED);
}

/** The release before (kept verbatim so that its histories replay): start, and join a running world. */
async function startLegacy(input: InitWorldInput): Promise<WorkflowResult<InitWorldResult>> {
  const { descriptionTaskId } = await progress.startWorld(input);
  const childId = workflowIdFor(TaskTypes.worldDescription, descriptionTaskId);
  try {
    await startChild<typeof GenerateWorldDescriptionWorkflow>('GenerateWorldDescriptionWorkflow', {
      workflowId: childId,
      taskQueue: TaskQueues.main,
      args: [{ task_id: descriptionTaskId }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  return ok({
    message: 'World generation initialized successfully',
    world_id: input.world_id,
    child_workflow_id: childId,
    users_count: input.characters_count,
    posts_count: input.posts_count,
  });
}
