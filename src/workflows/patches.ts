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
} as const;
