/**
 * Per-role Temporal worker settings, derived from config. Every performance knob is set explicitly
 * (the SDK defaults suit development, not production — sdk-typescript worker-options.ts).
 */
import type { WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config/config';
import type { WorkerRole } from '../domain/task-queues';

export function roleOptions(role: WorkerRole, config: Config): Partial<WorkerOptions> {
  const w = config.worker;
  const grace = config.worker.shutdownGraceMs;
  switch (role) {
    case 'main':
      return {
        maxConcurrentWorkflowTaskExecutions: w.maxWorkflowTasks,
        maxConcurrentActivityTaskExecutions: w.maxActivities,
        ...(w.maxCachedWorkflows !== undefined ? { maxCachedWorkflows: w.maxCachedWorkflows } : {}),
        shutdownGraceTime: grace,
      };
    case 'llm':
      return {
        maxConcurrentActivityTaskExecutions: w.maxConcurrentLlm,
        ...(w.llmQueueRatePerSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: w.llmQueueRatePerSecond } : {}),
        shutdownGraceTime: grace,
      };
    case 'images':
      return {
        maxConcurrentActivityTaskExecutions: w.maxConcurrentImages,
        ...(w.imagesQueueRatePerSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: w.imagesQueueRatePerSecond } : {}),
        shutdownGraceTime: grace,
      };
    case 'progress':
      return { maxConcurrentActivityTaskExecutions: w.maxConcurrentDb, shutdownGraceTime: grace };
    case 'services':
      return { maxConcurrentActivityTaskExecutions: w.maxConcurrentGrpc, shutdownGraceTime: grace };
  }
}
