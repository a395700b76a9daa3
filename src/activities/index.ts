/**
 * Activities grouped by the task queue that runs them. The composition root registers each group
 * only on its own queue, so a worker role polls exactly the work it was scaled for.
 */
import type { WorkerRole } from '../domain/task-queues';
import type { ActivityDeps } from './deps';
import { createImageActivities } from './image-activities';
import { createLlmActivities } from './llm-activities';
import { createProgressActivities } from './progress-activities';
import { createSearchAttributeActivities } from './search-attribute-activities';
import { createServiceActivities } from './service-activities';

export type ActivityGroups = Record<WorkerRole, object>;

export function createActivities(deps: ActivityDeps): ActivityGroups {
  const progress = createProgressActivities(deps);
  return {
    // Workflows only: every activity runs on the queue of the resource it uses.
    main: { ...createSearchAttributeActivities() }, // local activities of the workflows
    llm: createLlmActivities(deps),
    images: createImageActivities(deps),
    progress,
    // A character's creation plans its family with the progress group's own code (createCharacterWithFamily).
    services: createServiceActivities(deps, progress),
  };
}

export type { ActivityDeps } from './deps';
