/**
 * Which world, workflow and activity attempt the current code runs for, so every log line, metric and audit row
 * written while an activity runs names them without each call site passing them along. Set by an activity inbound
 * interceptor (one AsyncLocalStorage entry per activity execution); read by the logger's mixin and the gRPC
 * interceptor.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { worldIdOfTask } from '../domain/task-ids';

export interface ActivityScope {
  world_id?: string;
  task_id?: string;
  workflow_id?: string;
  run_id?: string;
  activity_type: string;
  attempt: number;
}

const storage = new AsyncLocalStorage<ActivityScope>();

/** The scope of the activity this code runs in, or undefined outside activities. */
export function currentActivityScope(): ActivityScope | undefined {
  return storage.getStore();
}

/** Runs `fn` with `scope` as the current scope (tests and non-Temporal callers). */
export function withActivityScope<T>(scope: ActivityScope, fn: () => T): T {
  return storage.run(scope, fn);
}

// World ids are lower-case UUIDs (src/schemas/world-input.ts) and every workflow id of a world embeds it.
const WORLD_ID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/;

/** The world id a workflow id names (`init-world-<id>`, `generate-character-<id>:character:3`, …), if any. */
export function worldIdOfWorkflow(workflowId: string | undefined): string | undefined {
  return workflowId ? WORLD_ID.exec(workflowId)?.[0] : undefined;
}

/** Activity arguments are small objects naming the world or a task of it (src/activities/contracts.ts). */
function idsOfArgs(args: readonly unknown[]): { world_id?: string; task_id?: string } {
  const first = args[0];
  if (typeof first === 'string') return { task_id: first, world_id: worldIdOfTask(first) };
  if (!first || typeof first !== 'object') return {};
  const a = first as Record<string, unknown>;
  const taskId = typeof a.taskId === 'string' ? a.taskId : undefined;
  const worldId = typeof a.worldId === 'string' ? a.worldId : typeof a.world_id === 'string' ? a.world_id : taskId ? worldIdOfTask(taskId) : undefined;
  return { ...(worldId ? { world_id: worldId } : {}), ...(taskId ? { task_id: taskId } : {}) };
}

export const activityScopeInterceptor: ActivityInterceptorsFactory = (ctx) => {
  const inbound: ActivityInboundCallsInterceptor = {
    execute(input, next) {
      const info = ctx.info;
      const ids = idsOfArgs(input.args);
      const execution = info.workflowExecution;
      const worldId = ids.world_id ?? worldIdOfWorkflow(execution?.workflowId);
      const scope: ActivityScope = {
        ...(worldId ? { world_id: worldId } : {}),
        ...(ids.task_id ? { task_id: ids.task_id } : {}),
        ...(execution ? { workflow_id: execution.workflowId, run_id: execution.runId } : {}),
        activity_type: info.activityType,
        attempt: info.attempt,
      };
      return storage.run(scope, () => next(input));
    },
  };
  return { inbound };
};
