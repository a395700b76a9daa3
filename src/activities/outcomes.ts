/**
 * Counting what a task made (a character created, an avatar set, a post created or failed) exactly once, and —
 * when that outcome is the task's work — closing the task in the same activity. Used by the progress activity
 * `recordOutcome` and, since `service-call-counts-outcome` (src/workflows/patches.ts), by the service activities whose
 * call is the work (CreateAIPost, UpdateCharacter with the avatar): the count then lands in the activity that made
 * the thing, one activity and one sequential hop fewer per post and per avatar. Same keys either way, so a count an
 * older release made in `recordOutcome` and a retry of the new activity cannot both land.
 */
import type { PostImageParams } from '../domain/task-params';
import type { Repositories } from '../repositories';
import type { Outcome } from './contracts';

export type OutcomeRecorder = ReturnType<typeof createOutcomeRecorder>;

/**
 * The keyed increment that counts a task ended: one key per task, whichever activity closes it (finishTask, a
 * recorded outcome, a plan that closes a batch, a service call), so a task is counted once however it ends.
 */
export const taskFinished = (taskId: string, outcome: 'completed' | 'failed' = 'completed') => ({
  key: `task-finished:${taskId}`,
  increments: outcome === 'completed' ? { tasks_completed: 1 } : { tasks_failed: 1 },
});

export function createOutcomeRecorder({ status, tasks }: Pick<Repositories, 'status' | 'tasks'>) {
  /**
   * The ledger key decides what "exactly once" means: a post is counted once as created *or* failed (the image task
   * reports for its post), an avatar once per character, and so on.
   */
  async function ledgerEntry(taskId: string, outcome: Outcome, loaded?: { parameters: unknown }) {
    switch (outcome) {
      case 'character_created':
        return { key: `outcome:character:${taskId}`, increments: { users_created: 1 } };
      case 'avatar_created':
        return { key: `outcome:avatar:${taskId}`, increments: { avatars_created: 1 } };
      case 'post_created': {
        // Reported by the post's image task (release before) or by the post task itself, which makes its picture now.
        const params = (loaded ?? (await tasks.require(taskId))).parameters as Partial<PostImageParams>;
        return { key: `outcome:post:${params.post_task_id ?? taskId}`, increments: { posts_created: 1 } };
      }
      case 'post_failed':
        return { key: `outcome:post:${taskId}`, increments: { posts_failed: 1 } };
    }
  }

  /** Closes the task as completed and counts it once. */
  async function complete(worldId: string, taskId: string): Promise<void> {
    await tasks.complete(taskId);
    const { key, increments } = taskFinished(taskId);
    await status.applyOnce(worldId, key, increments);
  }

  /** Counts `outcome` once, closes the task as completed when `close`, and completes the stages that are now done. */
  async function record(worldId: string, taskId: string, outcome: Outcome, close: boolean): Promise<void> {
    if (close) {
      // The outcome and the close counted in one batch of keyed increments (applyManyOnce: the same keys, each
      // protocol step once for both); the closed task is the one the outcome's key is read from (no second read).
      const closed = await tasks.complete(taskId);
      await status.applyManyOnce(worldId, [await ledgerEntry(taskId, outcome, closed), taskFinished(taskId)]);
    } else {
      const { key, increments } = await ledgerEntry(taskId, outcome);
      await status.applyOnce(worldId, key, increments);
    }
    const doc = await status.get(worldId);
    if (!doc) return;
    if (doc.users_created >= doc.users_predicted && (doc.avatars_created ?? 0) >= doc.users_predicted) {
      await status.advanceStage(worldId, 'characters', 'completed');
    }
    if (doc.posts_created >= doc.posts_predicted) await status.advanceStage(worldId, 'posts', 'completed');
  }

  return { record, complete };
}
