/** Stage names (in the fixed order of the `stages` array) and statuses of the status contract, spec 6.3. Workflow-safe. */
export const STAGE_NAMES = ['initializing', 'world_description', 'world_image', 'characters', 'posts', 'finishing'] as const;
export type StageName = (typeof STAGE_NAMES)[number];
export const STAGE_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];
/** The reason written to tasks, stages and the world when a cancel stopped them. */
export const CANCELLED_REASON = 'cancelled';
