/** Stage names and statuses of the world_generation_status contract (spec 6.3). Workflow-safe. */
export const STAGE_NAMES = ['initializing', 'world_description', 'world_image', 'characters', 'posts', 'finishing'] as const;
export type StageName = (typeof STAGE_NAMES)[number];
export type StageStatus = 'pending' | 'in_progress' | 'completed' | 'failed';
