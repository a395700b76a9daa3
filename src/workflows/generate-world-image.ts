/** GenerateWorldImageWorkflow — header and icon: prompts, two images in parallel, UpdateWorldImage. */
import { worldIdOfTask } from '../domain/task-ids';
import { recordDone, runTask } from './run-task';
import { askedAtStart, beginLlmStep, closeTask, guarded, images, ok, progress, services, type TaskRef, type WorkflowResult } from './support';

export async function GenerateWorldImageWorkflow({ task_id }: TaskRef): Promise<WorkflowResult<{ header_media_id: string; icon_media_id: string }>> {
  return guarded('GenerateWorldImageWorkflow', async () => {
    const worldId = worldIdOfTask(task_id);
    const { worldImagesPublishSettles } = askedAtStart('worldImagesPublishSettles');
    return runTask({
      taskId: task_id,
      step: 'world images',
      body: async () => {
        await beginLlmStep(task_id, 'world_image_prompts');
        const [header, icon] = await Promise.all([
          images.renderImage({ taskId: task_id, kind: 'world_header' }),
          images.renderImage({ taskId: task_id, kind: 'world_icon' }),
        ]);
        const media = { taskId: task_id, headerMediaId: header.mediaId, iconMediaId: icon.mediaId };
        if (worldImagesPublishSettles) {
          // Published, the stage completed and the task closed in one activity (cancel: as createPost, post-steps.ts).
          await services.publishWorldImages({ ...media, settle: true });
        } else {
          await services.publishWorldImages(media);
          await recordDone(() => Promise.all([progress.advanceStage({ worldId, stage: 'world_image', status: 'completed' }), closeTask(task_id, 'completed')]));
        }
        return ok({ header_media_id: header.mediaId, icon_media_id: icon.mediaId });
      },
      beforeClose: ({ reason }) => [
        { name: 'advanceStage', run: () => progress.advanceStage({ worldId, stage: 'world_image', status: 'failed', reason }) },
      ],
    });
  });
}
