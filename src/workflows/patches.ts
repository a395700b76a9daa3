/**
 * Every `patched()` id in the workflow code, with the behaviour it switches on. A world in flight
 * during a deploy replays its history with the new code: `patched(id)` is false where that history
 * was made without the change (so the old commands are produced again) and true in every new
 * decision, which records a marker. Each id is asked at the point where old and new code first
 * differ, so a world that started under the old release takes the new path for everything that
 * happens after the deploy. Remove an id only via `deprecatePatch()` once no history without its
 * marker can still be running (see README, "Changing workflow code").
 */
export const Patches = {
  /**
   * After a step fails or the workflow is cancelled: clean-up runs in a non-cancellable scope, a
   * clean-up that fails is logged instead of replacing the failure, a cancelled workflow closes as
   * Cancelled with reason `cancelled` (never StepFailed, and a post is not counted as failed), and
   * the bookkeeping of work already done (post created, avatar set) lands even if a cancel arrives.
   */
  settleOnCancel: 'settle-on-cancel',
  /** A failed world description also settles the remaining stages (none is left pending). */
  settleWorldAfterDescriptionFailure: 'settle-world-after-description-failure',
  /**
   * The root first reads the world's state: a completed or failed world is left untouched; the
   * orchestrator is started with REJECT_DUPLICATE so a closed one never runs a second time. Its
   * short body runs to its end even when cancelled, then it forwards the cancel to the
   * orchestrator (ABANDONed, so Temporal does not) or, if none was started, settles the world.
   */
  rootStartsOnce: 'root-starts-once-and-forwards-cancel',
  /**
   * Release 0.3, GeneratePostWorkflow: the post's detail call also writes the final prompt of its picture, and the
   * post makes its picture and creates itself (renderImage → createPost on the post's own task) instead of planning
   * an image task and starting GeneratePostImageWorkflow, whose first step was a further LLM call polishing a draft
   * prompt. One dependent LLM call, one activity hop and one child start less before every post; no image tasks.
   * Asked at the start of the workflow: a post that started under the release before keeps its image child.
   */
  postMakesItsImage: 'post-makes-its-image',
  /**
   * Release 0.3, GenerateCharacterWorkflow: the character's first post batch is conceived from the character's
   * concept while the profile is written (planFirstPostBatch → post_batch beside character_detail), and once the
   * character exists one activity plans the avatar, the first batch's posts and the next batch
   * (planCharacterFamily); the character starts its posts itself, without a GeneratePostBatchWorkflow for the first
   * batch (later batches still run in one). The portrait prompt comes with the profile, so the avatar's LLM step
   * finds it stored. Asked at the start of the workflow.
   */
  postsFromConcept: 'posts-from-concept',
  /**
   * GenerateWorldDescriptionWorkflow writes the search attributes GeneriaWorldId and GeneriaWorldState (progress.ts)
   * when the world starts and ends, after a local activity has confirmed the server has them registered
   * (world-search-attributes.ts). Asked at the start of the workflow.
   */
  worldSearchAttributes: 'world-search-attributes',
  /**
   * Release 0.3, GenerateWorldDescriptionWorkflow: after the description, publishWorldParams and planWorldChildren
   * run side by side (inside the description's step, so a failure of either fails the description as publishing
   * did), the description stage completes beside the children's start, and the finishing stage opens beside
   * finishWorld (stage moves are monotonic, so finishWorld's final move wins either order). Asked at the start.
   */
  orchestratorFewerHops: 'orchestrator-fewer-hops',
  /**
   * Release 0.3, every workflow whose first step is an LLM step (support.ts `beginLlmStep`): the step's activity
   * marks the task started (`runLlmStep({ begin: true })`) instead of a beginTask activity beside it. Asked at that
   * first step.
   */
  stepBeginsTask: 'step-begins-task',
  /**
   * Release 0.3, GeneratePostWorkflow (new path) and GenerateCharacterAvatarWorkflow (support.ts
   * `recordOutcomeAndClose`): recordOutcome closes the task too (`close: true`) instead of a finishTask activity
   * beside it. Asked where the outcome is recorded.
   */
  outcomeClosesTask: 'outcome-closes-task',
  /**
   * GenerateCharacterWorkflow (posts-from-concept path) and GeneratePostBatchWorkflow: the avatar (character only)
   * and the batch's posts run in the parent's own history, all at once (post-steps.ts `makePost`, avatar-steps.ts
   * `makeAvatar`: the same activities, options and order as GeneratePostWorkflow's `post-makes-its-image` path and
   * GenerateCharacterAvatarWorkflow) instead of a child workflow each: no child starts, which the server records
   * one after another, no first workflow task per child, no close back to the parent. Posts beyond
   * MAX_INLINE_POSTS would still be children. Asked where the children were started (after planCharacterFamily /
   * planPostBatchChildren): a parent that had started its children before the deploy keeps them.
   */
  postsInline: 'posts-inline',
  /**
   * Release 0.4, GenerateWorldDescriptionWorkflow: finishWorld closes the orchestrator's own task (`closeTaskId`:
   * completed, or failed with the world's summary / `cancelled`) and stamps it for retention, instead of a finishTask
   * activity after it — one activity and one task-queue hop less at the end of every world. On the cancel path the
   * finishTask clean-up step still runs if finishWorld itself failed. Asked just before finishWorld is scheduled (a
   * world whose finishWorld was scheduled before the deploy closes its task as before).
   */
  finishWorldClosesTask: 'finish-world-closes-task',
  /**
   * Release 0.5, a post's and an avatar's steps (post-steps.ts, avatar-steps.ts): the service call that makes the
   * thing (CreateAIPost; UpdateCharacter with the avatar) also counts it and closes its task (`countAndClose`,
   * activities/outcomes.ts), instead of a `recordOutcome({ close: true })` activity after it — one activity and one
   * sequential hop fewer per post and per avatar (13 per 3×10 world). Same ledger keys, so nothing is counted twice
   * across the deploy. Asked when the workflow that runs the post or avatar starts (support.ts `askedAtStart`): one
   * that started before the deploy counts with recordOutcome as before.
   */
  serviceCallCountsOutcome: 'service-call-counts-outcome',
  /**
   * Release 0.5, GenerateCharacterWorkflow (posts-from-concept path): `createCharacterWithFamily` creates the
   * character, plans its family (the progress group's planCharacterFamily) and counts it in one activity, instead of
   * createCharacter followed by (planCharacterFamily ∥ recordOutcome) — one task-queue hop fewer on the world's
   * critical path (character → its posts) and two activities fewer per character. Asked when the character's
   * workflow starts (`askedAtStart`): a character that started before the deploy plans and counts as before.
   */
  characterCallPlansFamily: 'character-call-plans-family',
  /**
   * Release 0.5, a character's avatar run inline (avatar-steps.ts): when the plan says the avatar's task is started
   * and holds the portrait prompt the profile wrote (planCharacterFamily, `avatarReady`), the avatar's first step —
   * a runLlmStep that only marked the task started and found the prompt — is not run: one activity and one hop fewer
   * per avatar. Asked when the character's workflow starts (`askedAtStart`).
   */
  avatarPromptPlanned: 'avatar-prompt-planned',
  /**
   * Release 0.5, InitWorldCreationWorkflow (startOnce): `openWorld` inspects the world and, unless it is settled,
   * records it, instead of inspectWorld then startWorld — one activity and one hop fewer before the orchestrator
   * starts. Asked where inspectWorld was scheduled.
   */
  rootOpensWorld: 'root-opens-world',
  /**
   * Release 0.5, GenerateWorldImageWorkflow: UpdateWorldImage's activity also completes the `world_image` stage and
   * closes the task (`settle`), instead of advanceStage ∥ finishTask after it — two activities fewer per world.
   * Asked when the workflow starts (`askedAtStart`).
   */
  worldImagesPublishSettles: 'world-images-publish-settles',
  /**
   * Release 0.5, GenerateCharacterBatchWorkflow: planCharacterBatchChildren also creates each character's first post
   * batch (`firstPostBatches`; pending until the feed's LLM step begins it), and each character gets its id in its input (`first_post_batch_task_id`),
   * instead of a planFirstPostBatch activity in every character before its feed's LLM step — a hop that was on the
   * world's critical path (the feed's branch: planFirstPostBatch → post_batch is longer than the profile's). Asked
   * when the batch starts (`askedAtStart`); the character decides from its input, which is in its history.
   */
  batchPlansFirstPostBatches: 'batch-plans-first-post-batches',
} as const;
