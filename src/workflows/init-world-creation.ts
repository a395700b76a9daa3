/**
 * InitWorldCreationWorkflow — the platform's entry point (contract, spec 12 and 17).
 *
 * world-service starts it with id `init-world-<world_id>` on `ai-worker-main` and a 30-minute
 * execution timeout, so it must not do the long work itself: it validates the input, records the
 * world, hands everything to GenerateWorldDescriptionWorkflow (ABANDON, so the child outlives this
 * run) and returns within seconds.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ApplicationFailure, ParentClosePolicy, startChild } from '@temporalio/workflow';
import { TaskTypes, workflowIdFor } from '../domain/task-ids';
import { parseInitWorldInput } from '../schemas/world-input';
import { ErrorTypes } from '../domain/error-types';
import type { GenerateWorldDescriptionWorkflow } from './generate-world-description';
import { guarded, ok, progress, type WorkflowResult } from './support';
import { TaskQueues } from '../domain/task-queues';

export interface InitWorldResult {
  message: string;
  world_id: string;
  child_workflow_id: string;
  users_count: number;
  posts_count: number;
}

export async function InitWorldCreationWorkflow(rawInput: unknown): Promise<WorkflowResult<InitWorldResult>> {
  return guarded('InitWorldCreationWorkflow', async () => {
    const parsed = parseInitWorldInput(rawInput);
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
    const { descriptionTaskId } = await progress.startWorld(input);
    const childId = workflowIdFor(TaskTypes.worldDescription, descriptionTaskId);
    try {
      await startChild<typeof GenerateWorldDescriptionWorkflow>('GenerateWorldDescriptionWorkflow', {
        workflowId: childId,
        taskQueue: TaskQueues.main,
        args: [{ task_id: descriptionTaskId }],
        // The world outlives this run's 30-minute timeout.
        parentClosePolicy: ParentClosePolicy.ABANDON,
      });
    } catch (err) {
      // Already running for this world (e.g. the platform re-sent the start): that run is the world.
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
    return ok({
      message: 'World generation initialized successfully',
      world_id: input.world_id,
      child_workflow_id: childId,
      users_count: input.characters_count,
      posts_count: input.posts_count,
    });
  });
}
