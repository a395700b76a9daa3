/**
 * The five task queues. `ai-worker-main` is a contract with world-service (it starts
 * InitWorldCreationWorkflow there); the other four are internal and split by the
 * resource they protect, so each role can be scaled and rate-limited on its own.
 */
export const TaskQueues = {
  main: 'ai-worker-main',
  llm: 'ai-worker-llm',
  images: 'ai-worker-images',
  progress: 'ai-worker-progress',
  services: 'ai-worker-services',
} as const;

export type WorkerRole = keyof typeof TaskQueues;
export const WORKER_ROLES = Object.keys(TaskQueues) as WorkerRole[];
