/**
 * GeneratePostBatchWorkflow — up to 10 post concepts for one character, told what earlier batches
 * of that character produced (spec 3.7). Runs the posts and starts the next batch, waits for all; a
 * failed post is counted, not fatal to the rest. Since `posts-inline` the posts run in this workflow's
 * own history (post-steps.ts) instead of a GeneratePostWorkflow child each.
 */
import { patched } from '@temporalio/workflow';
import { TaskTypes } from '../domain/task-ids';
import type { GeneratePostWorkflow } from './generate-post';
import { Patches } from './patches';
import { runPosts } from './post-steps';
import { closeTaskLogged, endCancelledTask, runTask } from './run-task';
import { askedAtStart, beginLlmStep, guarded, ok, progress, runChild, settledValues, type TaskRef, type WorkflowResult } from './support';

export interface PostBatchSummary {
  posts_created: number;
  posts_failed: number;
}

export async function GeneratePostBatchWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<PostBatchSummary>> {
  return guarded('GeneratePostBatchWorkflow', async () => {
    const { serviceCallCountsOutcome } = askedAtStart('serviceCallCountsOutcome');
    const plan = await runTask({
      taskId: task_id,
      step: 'post batch',
      body: async () => {
        await beginLlmStep(task_id, 'post_batch');
        return progress.planPostBatchChildren({ taskId: task_id });
      },
    });
    const posts = patched(Patches.postsInline)
      ? runPosts(plan.postTaskIds, serviceCallCountsOutcome)
      : plan.postTaskIds.map((id) => runChild<typeof GeneratePostWorkflow>('GeneratePostWorkflow', TaskTypes.post, id));
    const next = plan.nextBatchTaskId
      ? runChild<typeof GeneratePostBatchWorkflow>('GeneratePostBatchWorkflow', TaskTypes.postBatch, plan.nextBatchTaskId)
      : null;
    const own = settledValues(await Promise.allSettled(posts));
    const summary: PostBatchSummary = { posts_created: own.values.length, posts_failed: own.failures.length };
    if (next) {
      const later = settledValues(await Promise.allSettled([next]));
      for (const r of later.values) {
        summary.posts_created += r.data?.posts_created ?? 0;
        summary.posts_failed += r.data?.posts_failed ?? 0;
      }
    }
    const cancelled = await endCancelledTask(task_id);
    if (cancelled) throw cancelled;
    await closeTaskLogged(task_id, 'completed');
    return ok(summary);
  });
}
