/**
 * GenerateCharacterBatchWorkflow — up to 10 character concepts per batch, told what earlier batches
 * produced (spec 3.4). It starts one GenerateCharacterWorkflow per concept and the next batch (as
 * soon as its own concepts exist, so batches overlap), then waits for all of them.
 */
import { TaskTypes } from '../domain/task-ids';
import type { CharacterSummary, GenerateCharacterWorkflow } from './generate-character';
import { closeTaskLogged, endCancelledTask, runTask } from './run-task';
import { askedAtStart, beginLlmStep, guarded, ok, progress, runChild, settledValues, type TaskRef, type WorkflowResult } from './support';

export interface CharacterBatchSummary {
  characters_created: number;
  characters_failed: number;
  /** Later batches that failed as a whole (their characters were never conceived). */
  batches_failed: number;
  posts_created: number;
  posts_failed: number;
}

export async function GenerateCharacterBatchWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<CharacterBatchSummary>> {
  return guarded('GenerateCharacterBatchWorkflow', async () => {
    const { batchPlansFirstPostBatches } = askedAtStart('batchPlansFirstPostBatches');
    const plan = await runTask({
      taskId: task_id,
      step: 'character batch',
      body: async () => {
        await beginLlmStep(task_id, 'character_batch');
        return progress.planCharacterBatchChildren({ taskId: task_id, ...(batchPlansFirstPostBatches ? { firstPostBatches: true } : {}) });
      },
    });

    // Each character learns its planned first post batch from its input (none from a worker that did not plan them:
    // the character then plans it itself, as before).
    const feeds = plan.firstPostBatchTaskIds;
    const characters = plan.characterTaskIds.map((id, i) =>
      runChild<typeof GenerateCharacterWorkflow>('GenerateCharacterWorkflow', TaskTypes.character, id, {}, feeds ? { first_post_batch_task_id: feeds[i] ?? null } : {}),
    );
    const next = plan.nextBatchTaskId
      ? runChild<typeof GenerateCharacterBatchWorkflow>('GenerateCharacterBatchWorkflow', TaskTypes.characterBatch, plan.nextBatchTaskId)
      : null;

    const own = settledValues(await Promise.allSettled(characters));
    const summary: CharacterBatchSummary = { characters_created: 0, characters_failed: own.failures.length, batches_failed: 0, posts_created: 0, posts_failed: 0 };
    for (const result of own.values) add(summary, result.data);
    if (next) {
      const later = settledValues(await Promise.allSettled([next]));
      for (const result of later.values) addBatch(summary, result.data);
      summary.batches_failed += later.failures.length;
    }
    const cancelled = await endCancelledTask(task_id);
    if (cancelled) throw cancelled;
    await closeTaskLogged(task_id, 'completed');
    return ok(summary);
  });
}

function add(summary: CharacterBatchSummary, character: CharacterSummary | null): void {
  if (!character) return;
  summary.characters_created += 1;
  summary.posts_created += character.posts_created;
  summary.posts_failed += character.posts_failed;
}

function addBatch(summary: CharacterBatchSummary, batch: CharacterBatchSummary | null): void {
  if (!batch) return;
  summary.characters_created += batch.characters_created;
  summary.characters_failed += batch.characters_failed;
  summary.batches_failed += batch.batches_failed;
  summary.posts_created += batch.posts_created;
  summary.posts_failed += batch.posts_failed;
}
