/**
 * GenerateWorldDescriptionWorkflow — writes the world and then drives it to the end.
 *
 * It is the world's long-lived owner: after the description it starts the world-image and the
 * first character-batch children, waits for the whole tree, and only then settles the status
 * document, so `completed` means everything requested exists and `failed` says what does not.
 * Cancelling it (or the root, which forwards) stops the tree — each child settles its own task and
 * closes as Cancelled — and then settles the world `failed` with reason `cancelled`.
 */
import { ApplicationFailure, CancelledFailure, patched, setHandler } from '@temporalio/workflow';
import { TaskTypes, worldIdOfTask } from '../domain/task-ids';
import { ErrorTypes } from '../domain/error-types';
import type { GenerateCharacterBatchWorkflow } from './generate-character-batch';
import type { GenerateWorldImageWorkflow } from './generate-world-image';
import { Patches } from './patches';
import { progressQuery, type WorldProgress } from './progress';
import { withWorldSearchAttributes } from './world-search-attributes';
import { CANCELLED, cancelRequested, closeTaskLogged, recordDone, runTask, settle } from './run-task';
import { beginLlmStep, closeTask, describeFailure, guarded, ok, progress, runChild, services, type TaskRef, type WorkflowResult } from './support';

export interface WorldSummary {
  world_id: string;
  status: 'completed' | 'failed';
  summary: string;
}

export async function GenerateWorldDescriptionWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<WorldSummary>> {
  // withWorldSearchAttributes: GeneriaWorldId/GeneriaWorldState for `world list` and the Web UI (patched).
  return guarded('GenerateWorldDescriptionWorkflow', () => withWorldSearchAttributes(worldIdOfTask(task_id), async () => {
    const worldId = worldIdOfTask(task_id);
    // The `progress` query (operator CLI): a handler issues no command, so histories replay unchanged.
    const phase: WorldProgress = { world_id: worldId, phase: 'describing' };
    setHandler(progressQuery, () => phase);
    // Release 0.3: publishing the world and planning its children are independent, so they run side by side, and the
    // finishing stage opens beside finishWorld (its moves are monotonic): two sequential hops fewer.
    const fewerHops = patched(Patches.orchestratorFewerHops);
    let planned: { worldImageTaskId: string; characterBatchTaskId: string | null } | null = null;
    await runTask({
      taskId: task_id,
      step: 'world description',
      // startWorld already set world_description in progress, before this workflow started.
      body: async () => {
        await beginLlmStep(task_id, 'world_description');
        if (fewerHops) {
          [, planned] = await Promise.all([services.publishWorldParams({ taskId: task_id }), progress.planWorldChildren({ taskId: task_id })]);
        } else {
          await services.publishWorldParams({ taskId: task_id });
        }
      },
      beforeClose: ({ reason }) => [
        { name: 'advanceStage', run: () => progress.advanceStage({ worldId, stage: 'world_description', status: 'failed', reason }) },
      ],
      // Nothing else will run: settle the other stages now, so none is left pending.
      afterClose: ({ cancelled }) =>
        patched(Patches.settleWorldAfterDescriptionFailure)
          ? [{ name: 'finishWorld', run: () => progress.finishWorld({ worldId, ...(cancelled ? { cancelled } : {}) }) }]
          : [],
    });

    // From here on the world is always settled, even if planning or a child blows up: a world is
    // never left `in_progress`.
    let failure: string | undefined;
    phase.phase = 'generating';
    try {
      // The description stage completes beside the children's start (new path) or before it (release before).
      const described = planned ? recordDone(() => progress.advanceStage({ worldId, stage: 'world_description', status: 'completed' })) : null;
      const [plan] = planned
        ? [planned]
        : await recordDone(() =>
            Promise.all([
              progress.planWorldChildren({ taskId: task_id }),
              progress.advanceStage({ worldId, stage: 'world_description', status: 'completed' }),
            ]),
          );
      const children: Promise<unknown>[] = [runChild<typeof GenerateWorldImageWorkflow>('GenerateWorldImageWorkflow', TaskTypes.worldImage, plan.worldImageTaskId)];
      if (plan.characterBatchTaskId) {
        children.push(runChild<typeof GenerateCharacterBatchWorkflow>('GenerateCharacterBatchWorkflow', TaskTypes.characterBatch, plan.characterBatchTaskId));
      }
      if (described) await described;
      // Failures inside the subtree are recorded by the children themselves; the final status is
      // settled from what exists, not from which promise rejected.
      await Promise.allSettled(children);
    } catch (err) {
      failure = describeFailure(err);
    }

    if (cancelRequested() && patched(Patches.settleOnCancel)) return settleCancelledWorld(worldId, task_id, phase);

    phase.phase = 'finishing';
    const opening = progress.advanceStage({ worldId, stage: 'finishing', status: 'in_progress' });
    if (!fewerHops) await opening;
    // Release 0.4: finishWorld closes this task itself (no finishTask hop after it; patched).
    const closedByFinish = patched(Patches.finishWorldClosesTask);
    const outcome = await progress.finishWorld({
      worldId,
      ...(failure !== undefined ? { failure } : {}),
      ...(closedByFinish ? { closeTaskId: task_id } : {}),
    });
    if (fewerHops) await opening;
    Object.assign(phase, { phase: outcome.status, summary: outcome.summary });
    if (outcome.status === 'failed') {
      // The status document already says why; failing here makes the Temporal UI say so too.
      if (!closedByFinish) await closeTaskLogged(task_id, 'failed', outcome.summary);
      throw ApplicationFailure.create({ message: `world ${worldId} failed: ${outcome.summary}`, type: ErrorTypes.stepFailed, nonRetryable: true });
    }
    if (!closedByFinish) await closeTaskLogged(task_id, 'completed');
    return ok({ world_id: worldId, status: outcome.status, summary: outcome.summary });
  }));
}

/**
 * The whole tree has stopped (children wait for their own children's cancellation): settle what is
 * left and close as Cancelled. A world that was in fact complete when the cancel came stays so.
 */
async function settleCancelledWorld(worldId: string, taskId: string, phase: WorldProgress): Promise<WorkflowResult<WorldSummary>> {
  phase.phase = 'finishing';
  let outcome: { status: 'completed' | 'failed'; summary: string } = { status: 'failed', summary: CANCELLED };
  // Release 0.4: finishWorld closes the task too; the finishTask step runs only if finishWorld itself failed.
  const closedByFinish = patched(Patches.finishWorldClosesTask);
  let closed = false;
  await settle(taskId, { reason: CANCELLED, cancelled: true }, [
    {
      name: 'finishWorld',
      run: async () => {
        outcome = await progress.finishWorld({ worldId, cancelled: true, ...(closedByFinish ? { closeTaskId: taskId } : {}) });
        closed = closedByFinish;
      },
    },
    {
      name: 'finishTask',
      run: async () => {
        if (closed) return;
        await (outcome.status === 'completed' ? closeTask(taskId, 'completed') : closeTask(taskId, 'failed', CANCELLED));
      },
    },
  ]);
  Object.assign(phase, { phase: outcome.status === 'completed' ? 'completed' : 'cancelled', summary: outcome.summary });
  if (outcome.status === 'completed') return ok({ world_id: worldId, status: outcome.status, summary: outcome.summary });
  throw new CancelledFailure(CANCELLED);
}
