/**
 * finishWorld (progress-activities.ts) off the critical path: the world's final document in one compare-and-set,
 * no cost-sweep scans when nothing is left to settle, and the orchestrator's task closed in the same activity
 * (`closeTaskId`) with its ledger entry stamped for retention — with the outcomes the stage-by-stage version wrote.
 * The real activity in a mock activity context against the real MongoDB-compatible server; commands counted with
 * the driver's command monitoring; the status repository observed as at the worker's composition root.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { CommandStartedEvent } from 'mongodb';
import type { ProgressActivities } from '../../src/activities/contracts';
import { createProgressActivities } from '../../src/activities/progress-activities';
import type { ActivityDeps } from '../../src/activities/deps';
import { taskIds, TaskTypes } from '../../src/domain/task-ids';
import { createLogger } from '../../src/logger';
import { createServiceLogger } from '../../src/observability/logger';
import { observeWorldEvents } from '../../src/observability/world-events';
import { createRepositories, ensureAllIndexes, type Repositories } from '../../src/repositories';
import { createRetention } from '../../src/repositories/retention';
import { openTestDb, type TestDb } from '../repositories/support';
import { STACK_TIMEOUT_MS } from '../support/stack';

let t: TestDb;
let repos: Repositories;
let progress: ProgressActivities;
const lines: Record<string, unknown>[] = [];
const sent: string[] = [];
const record = (e: CommandStartedEvent) => sent.push(`${e.commandName} ${String(e.command[e.commandName])}`);
const quiet = new DefaultLogger('ERROR');
const run = <A, R>(fn: (a: A) => Promise<R>, arg: A) => new MockActivityEnvironment({ attempt: 1 }, { logger: quiet }).run(fn as never, arg as never) as Promise<R>;

beforeAll(async () => {
  t = await openTestDb('finish_world', { monitorCommands: true });
  await ensureAllIndexes(t.db);
  const raw = createRepositories(t.db);
  const log = createServiceLogger({ level: 'info', write: (l) => lines.push(JSON.parse(l) as Record<string, unknown>) });
  repos = { ...raw, status: observeWorldEvents(raw.status, log, undefined) };
  // No provider is asked: a world whose reservations all have their costs applied is never swept.
  const deps = { repos, log: createLogger('error'), retention: createRetention(t.db, { afterSettledMs: 3_600_000 }) } as unknown as ActivityDeps;
  progress = createProgressActivities(deps);
  t.client.on('commandStarted', record);
}, STACK_TIMEOUT_MS);
afterAll(async () => {
  t?.client.off('commandStarted', record);
  await t?.dispose();
}, 60_000);

/** A 1×1 world with its description task; `complete`: everything made and every stage before the last settled. */
async function world(complete: boolean) {
  const worldId = crypto.randomUUID();
  const { status, tasks } = repos;
  await status.initialize({ worldId, charactersCount: 1, postsCount: 1, userPrompt: 'p', apiCallLimitsLlm: 10, apiCallLimitsImages: 10, tasksPredicted: 5 });
  await status.advanceStage(worldId, 'initializing', 'completed');
  await status.advanceStage(worldId, 'world_description', 'in_progress');
  const taskId = taskIds.worldDescription(worldId);
  await tasks.createIfAbsent({ id: taskId, type: TaskTypes.worldDescription, worldId, parentId: null, parameters: {} });
  await tasks.start(taskId);
  if (complete) {
    await status.applyOnce(worldId, 'made', { users_created: 1, avatars_created: 1, posts_created: 1 });
    for (const stage of ['world_description', 'world_image'] as const) await status.advanceStage(worldId, stage, 'completed');
    await status.advanceStage(worldId, 'characters', 'in_progress');
    await status.advanceStage(worldId, 'finishing', 'in_progress');
  }
  return { worldId, taskId };
}

const commandsOf = async <R>(fn: () => Promise<R>) => {
  sent.length = 0;
  const result = await fn();
  return { result, commands: [...sent] };
};
const stageWrites = (commands: string[]) => commands.filter((c) => c === 'findAndModify world_generation_status');
const sweepReads = (commands: string[]) => commands.filter((c) => c === 'find provider_calls' || c === 'find status_ledger');

test(
  'a complete world: one stage write, no sweep scans, its task closed and stamped, "world finished" logged once',
  async () => {
    const { worldId, taskId } = await world(true);
    const { result, commands } = await commandsOf(() => run(progress.finishWorld, { worldId, closeTaskId: taskId }));
    expect(result).toEqual({ status: 'completed', summary: 'all characters, avatars and posts created' });
    expect(stageWrites(commands)).toHaveLength(1);
    expect(sweepReads(commands)).toEqual([]);
    const doc = await repos.status.require(worldId);
    expect(doc.status).toBe('completed');
    expect(doc.stages.every((s) => s.status === 'completed')).toBe(true);
    expect(doc.tasks_completed).toBe(1);
    const task = await repos.tasks.require(taskId);
    expect(task.status).toBe('completed');
    // The close's own ledger entry is stamped: it happened before the world was marked settled.
    const entry = await t.db.collection('status_ledger').findOne({ _id: `${worldId}|task-finished:${taskId}` as never });
    expect(entry?.expires_at).toBeInstanceOf(Date);
    expect(lines.filter((l) => l.message === 'world finished' && l.world_id === worldId)).toEqual([expect.objectContaining({ status: 'completed' })]);

    // A retried activity: nothing more is written to the stages, the task is counted once.
    const again = await commandsOf(() => run(progress.finishWorld, { worldId, closeTaskId: taskId }));
    expect(again.result).toEqual(result);
    expect(stageWrites(again.commands)).toEqual([]);
    expect((await repos.status.require(worldId)).tasks_completed).toBe(1);
  },
  STACK_TIMEOUT_MS,
);

test(
  'a world cancelled during its description: the outcomes the stage-by-stage version wrote, in one write; the task failed `cancelled`',
  async () => {
    const { worldId, taskId } = await world(false);
    const { result, commands } = await commandsOf(() => run(progress.finishWorld, { worldId, cancelled: true, closeTaskId: taskId }));
    expect(stageWrites(commands)).toHaveLength(1);
    const doc = await repos.status.require(worldId);
    expect(doc.error).toBe('cancelled');
    expect(doc.status).toBe('failed');
    expect(doc.stages.map((s) => [s.name, s.status, s.reason])).toEqual([
      ['initializing', 'completed', undefined],
      ['world_description', 'failed', 'world description was not written (cancelled)'],
      ['world_image', 'failed', 'world images were not created (cancelled)'],
      ['characters', 'failed', '0 of 1 characters and 0 avatars created (cancelled)'],
      ['posts', 'failed', '0 of 1 posts created, 0 failed (cancelled)'],
      ['finishing', 'failed', 'cancelled'],
    ]);
    expect(result.status).toBe('failed');
    expect(result.summary).toBe(doc.stages.filter((s) => s.status === 'failed').map((s) => `${s.name}: ${s.reason}`).join('; '));
    const task = await repos.tasks.require(taskId);
    expect(task.status).toBe('failed');
    expect(task.error).toBe('cancelled');
    expect(doc.tasks_failed).toBe(1);
    expect(lines.filter((l) => l.message === 'world finished' && l.world_id === worldId)).toEqual([expect.objectContaining({ status: 'cancelled' })]);
  },
  STACK_TIMEOUT_MS,
);
