/**
 * GenerateWorldDescriptionWorkflow — writes the world and then drives it to the end.
 *
 * It is the world's long-lived owner: after the description it starts the world-image and the
 * first character-batch children, waits for the whole tree, and only then settles the status
 * document, so `completed` means everything requested exists and `failed` says what does not.
 */
import { ApplicationFailure } from '@temporalio/workflow';
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import { ErrorTypes } from '../domain/error-types';
import type { GenerateCharacterBatchWorkflow } from './generate-character-batch';
import type { GenerateWorldImageWorkflow } from './generate-world-image';
import { beginWith, closeTask, describeFailure, guarded, llm, ok, progress, runChild, services, stepFailed, type TaskRef, type WorkflowResult } from './support';

export interface WorldSummary {
  world_id: string;
  status: 'completed' | 'failed';
  summary: string;
}

export async function GenerateWorldDescriptionWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<WorldSummary>> {
  return guarded('GenerateWorldDescriptionWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    try {
      // startWorld already set world_description in progress, before this workflow started.
      await beginWith(task_id, llm.runLlmStep({ taskId: task_id, step: 'world_description' }));
      await services.publishWorldParams({ taskId: task_id });
    } catch (err) {
      const reason = describeFailure(err);
      await progress.advanceStage({ worldId, stage: 'world_description', status: 'failed', reason });
      await closeTask(task_id, 'failed', reason);
      throw stepFailed('world description', err);
    }

    // From here on the world is always settled, even if planning or a child blows up: a world is
    // never left `in_progress`.
    let failure: string | undefined;
    try {
      const [plan] = await Promise.all([
        progress.planWorldChildren({ taskId: task_id }),
        progress.advanceStage({ worldId, stage: 'world_description', status: 'completed' }),
      ]);
      const children: Promise<unknown>[] = [runChild<typeof GenerateWorldImageWorkflow>('GenerateWorldImageWorkflow', TaskTypes.worldImage, plan.worldImageTaskId)];
      if (plan.characterBatchTaskId) {
        children.push(runChild<typeof GenerateCharacterBatchWorkflow>('GenerateCharacterBatchWorkflow', TaskTypes.characterBatch, plan.characterBatchTaskId));
      }
      // Failures inside the subtree are recorded by the children themselves; the final status is
      // settled from what exists, not from which promise rejected.
      await Promise.allSettled(children);
    } catch (err) {
      failure = describeFailure(err);
    }

    await progress.advanceStage({ worldId, stage: 'finishing', status: 'in_progress' });
    const outcome = await progress.finishWorld({ worldId, ...(failure !== undefined ? { failure } : {}) });
    if (outcome.status === 'failed') {
      // The status document already says why; failing here makes the Temporal UI say so too.
      await closeTask(task_id, 'failed', outcome.summary);
      throw ApplicationFailure.create({ message: `world ${worldId} failed: ${outcome.summary}`, type: ErrorTypes.stepFailed, nonRetryable: true });
    }
    await closeTask(task_id, 'completed');
    return ok({ world_id: worldId, status: outcome.status, summary: outcome.summary });
  });
}
