/**
 * GenerateWorldDescriptionWorkflow — writes the world and then drives it to the end.
 *
 * It is the world's long-lived owner: after the description it starts the world-image and the
 * first character-batch children, waits for the whole tree, and only then settles the status
 * document, so `completed` means everything requested exists and `failed` says what does not.
 */
import { TaskTypes } from '../domain/task-ids';
import type { GenerateCharacterBatchWorkflow, CharacterBatchSummary } from './generate-character-batch';
import type { GenerateWorldImageWorkflow } from './generate-world-image';
import { closeTask, describeFailure, guarded, llm, ok, progress, runChild, services, stepFailed, type TaskRef, type WorkflowResult } from './support';

export interface WorldSummary {
  world_id: string;
  status: 'completed' | 'failed';
  summary: string;
}

export async function GenerateWorldDescriptionWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<WorldSummary>> {
  return guarded('GenerateWorldDescriptionWorkflow', async () => {
    const { worldId } = await progress.beginTask(task_id);
    try {
      await progress.advanceStage({ worldId, stage: 'world_description', status: 'in_progress' });
      await llm.runLlmStep({ taskId: task_id, step: 'world_description' });
      await services.publishWorldParams({ taskId: task_id });
      await progress.advanceStage({ worldId, stage: 'world_description', status: 'completed' });
    } catch (err) {
      const reason = describeFailure(err);
      await progress.advanceStage({ worldId, stage: 'world_description', status: 'failed', reason });
      await closeTask(task_id, 'failed', reason);
      throw stepFailed('world description', err);
    }

    const plan = await progress.planWorldChildren({ taskId: task_id });
    const children: Promise<unknown>[] = [runChild<typeof GenerateWorldImageWorkflow>('GenerateWorldImageWorkflow', TaskTypes.worldImage, plan.worldImageTaskId)];
    if (plan.characterBatchTaskId) {
      children.push(
        runChild<typeof GenerateCharacterBatchWorkflow>('GenerateCharacterBatchWorkflow', TaskTypes.characterBatch, plan.characterBatchTaskId).then(
          (r): CharacterBatchSummary | null => r.data,
        ),
      );
    }
    // Failures of the subtree are already recorded by the children; the final status is settled
    // from what exists, not from which promise rejected.
    await Promise.allSettled(children);

    await progress.advanceStage({ worldId, stage: 'finishing', status: 'in_progress' });
    const outcome = await progress.finishWorld({ worldId });
    await closeTask(task_id, 'completed');
    return ok({ world_id: worldId, status: outcome.status, summary: outcome.summary });
  });
}
