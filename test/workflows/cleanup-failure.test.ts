/**
 * A clean-up that fails must not replace the failure it follows. The world's workflows run in the
 * production worker under Node (roles main, llm, images, services); the progress queue is served by a
 * test worker in this process with the real progress activities, except that `finishTask` — the
 * clean-up that closes a task — fails for good, as it would if the task store refused the write.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createProgressActivities } from '../../src/activities/progress-activities';
import type { ActivityDeps } from '../../src/activities/deps';
import { loadConfig } from '../../src/config/config';
import { taskIds, TaskTypes, workflowIdFor } from '../../src/domain/task-ids';
import { TaskQueues } from '../../src/domain/task-queues';
import { createLogger } from '../../src/logger';
import { connectMongo, createRepositories, type MongoHandle } from '../../src/repositories';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;
let mongo: MongoHandle;
let connection: NativeConnection;
let worker: Worker;
let running: Promise<void>;
const finishTaskCalls: string[] = [];

beforeAll(async () => {
  try {
    // The injected failures are expected; keep the SDK's own log to real errors.
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by an earlier test file in this process.
  }
  h = await startWorldHarness({ env: { WORKER_ROLES: 'main,llm,images,services' } });
  const stack = await getStack();
  const config = loadConfig({
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: h.db.databaseName,
    OPENROUTER_API_KEY: 'sk-unused',
    RUNWARE_API_KEY: 'rw-unused',
  });
  mongo = await connectMongo(config.mongo);
  // The progress activities use only the configuration and the repositories.
  const deps = { config, repos: createRepositories(mongo.db), log: createLogger('error') } as unknown as ActivityDeps;
  const progress = createProgressActivities(deps);
  connection = await NativeConnection.connect({ address: stack.temporalAddress });
  worker = await Worker.create({
    connection,
    taskQueue: TaskQueues.progress,
    activities: {
      ...progress,
      finishTask: async ({ taskId }: { taskId: string }) => {
        finishTaskCalls.push(taskId);
        throw ApplicationFailure.nonRetryable('task store refused the write (injected)', 'InjectedBookkeepingFailure');
      },
    },
  });
  running = worker.run();
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  worker?.shutdown();
  await running?.catch(() => {});
  await connection?.close();
  await mongo?.close();
  await h?.stop();
}, 60_000);

test(
  'a failing finishTask is logged; the world description still fails with its own reason and the world is settled',
  async () => {
    h.llm.faults.push({ status: 400 }, 1, { schemaName: 'WorldDescriptionResponse' });
    const worldId = '00000000-0000-4000-8000-0000c1ea0001';
    await (await h.startWorld({ world_id: worldId, world_name: 'Mossgate', world_prompt: 'A city grown from moss.', characters_count: 1, posts_count: 1 })).result();

    const orchestrator = h.client.workflow.getHandle(workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId)));
    const error = await (async () => {
      for (;;) {
        try {
          return await orchestrator.result().then(() => null);
        } catch (err) {
          if ((err as Error).name === 'WorkflowNotFoundError') {
            await Bun.sleep(100);
            continue;
          }
          return err;
        }
      }
    })();
    // The clean-up was attempted and failed…
    expect(finishTaskCalls).toContain(taskIds.worldDescription(worldId));
    // …and the workflow reports the failure that happened, not the clean-up's.
    expect(error).toBeInstanceOf(WorkflowFailedError);
    const cause = (error as WorkflowFailedError).cause as ApplicationFailure;
    expect(cause.type).toBe('StepFailed');
    expect(cause.message).toContain('world description failed');
    expect(cause.message).toContain('400');
    expect(cause.message).not.toContain('injected');

    // The clean-up steps after the failing one still ran: the world is settled with the real reason.
    const status = await h.db.collection('world_generation_status').findOne({ _id: worldId as any });
    expect(status?.status).toBe('failed');
    expect(String(status?.error)).toContain('400');
    const stage = status?.stages.find((s: any) => s.name === 'world_description');
    expect(stage.status).toBe('failed');
    expect(stage.reason).toContain('400');
    expect(status?.stages.every((s: any) => s.status === 'completed' || s.status === 'failed')).toBe(true);
    // Workflow log lines reach the worker's stdout through the SDK's sinks and a pipe, after the workflow's result
    // may already be visible: wait a little for the line instead of racing it.
    for (let i = 0; i < 100 && !h.output().includes('clean-up step failed'); i++) await Bun.sleep(100);
    expect(h.output()).toContain('clean-up step failed');
  },
  120_000,
);
