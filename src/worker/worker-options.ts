/**
 * Per-role Temporal worker settings, derived from config. Every performance knob is set explicitly
 * (the SDK defaults suit development, not production — sdk-typescript worker-options.ts).
 */
import type { WorkerOptions } from '@temporalio/worker';
import { dataConverterFromConfig, dataConverterOption } from '../codec/data-converter';
import type { Config } from '../config/config';
import type { WorkerRole } from '../domain/task-queues';

/**
 * Heartbeats are how a cancel (or a lost worker) reaches a running LLM or image request. The SDK throttles them to
 * 80 % of the heartbeat timeout (8 s) by default; one a second gets a cancel to the request in about a second, so a
 * cancelled world stops paying within seconds. The price is one heartbeat RPC per running request per second.
 */
const CANCEL_REACHES_REQUEST_WITHIN = '1 second';

export function roleOptions(role: WorkerRole, config: Config): Partial<WorkerOptions> {
  // Payload encryption (src/codec): every role encodes what it sends to Temporal and decodes what it receives.
  return { ...dataConverterOption(dataConverterFromConfig(config)), ...queueOptions(role, config) };
}

function queueOptions(role: WorkerRole, config: Config): Partial<WorkerOptions> {
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
        maxHeartbeatThrottleInterval: CANCEL_REACHES_REQUEST_WITHIN,
      };
    case 'images':
      return {
        maxConcurrentActivityTaskExecutions: w.maxConcurrentImages,
        ...(w.imagesQueueRatePerSecond !== undefined ? { maxTaskQueueActivitiesPerSecond: w.imagesQueueRatePerSecond } : {}),
        shutdownGraceTime: grace,
        maxHeartbeatThrottleInterval: CANCEL_REACHES_REQUEST_WITHIN,
      };
    case 'progress':
      return { maxConcurrentActivityTaskExecutions: w.maxConcurrentDb, shutdownGraceTime: grace };
    case 'services':
      return { maxConcurrentActivityTaskExecutions: w.maxConcurrentGrpc, shutdownGraceTime: grace };
  }
}
