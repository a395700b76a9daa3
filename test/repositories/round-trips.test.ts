/**
 * Round trips per repository operation (docs/performance-db-runtime.md): every command the driver sends is
 * counted, so an operation that starts costing more round trips fails here. Counts differ by server: on FerretDB a
 * conditional write is a read and a write by `_id` (see src/repositories/document-locks.ts).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { CommandStartedEvent } from 'mongodb';
import { ALL_COLLECTIONS, conditionalWriteTuning, createRepositories, ensureAllIndexes, type Repositories } from '../../src/repositories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { newWorldId, openTestDb, type TestDb } from './support';

let t: TestDb;
let repos: Repositories;
const threshold = conditionalWriteTuning.scanThreshold;
const sent: string[] = [];
const record = (e: CommandStartedEvent) => sent.push(`${e.commandName} ${String(e.command[e.commandName])}`);

beforeAll(async () => {
  // Counts below are for FerretDB's split conditional writes (the path a large collection takes).
  conditionalWriteTuning.scanThreshold = -1;
  t = await openTestDb('repo_trips', { monitorCommands: true });
  await ensureAllIndexes(t.db);
  repos = createRepositories(t.db);
  t.client.on('commandStarted', record);
}, STACK_TIMEOUT_MS);
afterAll(async () => {
  conditionalWriteTuning.scanThreshold = threshold;
  t?.client.off('commandStarted', record);
  await t?.dispose();
}, 60_000);

/** The commands `fn` sends. */
async function commandsOf(fn: () => Promise<unknown>): Promise<string[]> {
  sent.length = 0;
  await fn();
  return [...sent];
}

const init = (worldId: string) =>
  repos.status.initialize({ worldId, charactersCount: 1, postsCount: 1, userPrompt: 'p', apiCallLimitsLlm: 10, apiCallLimitsImages: 10, tasksPredicted: 3 });

describe('round trips', () => {
  test('a reservation reads the fixed limits once per world, then only the keyed increment (4 commands on MongoDB)', async () => {
    const worldId = newWorldId('trips');
    await init(worldId);
    const first = await commandsOf(() => repos.status.reserveApiCall(worldId, 'llm', 'call-1'));
    const second = await commandsOf(() => repos.status.reserveApiCall(worldId, 'llm', 'call-2'));
    expect(first.length - second.length).toBe(1);
    expect(second.filter((c) => c.startsWith('find world_generation_status')).length).toBe(t.ferretDb ? 2 : 0);
    // Insert the attempt, increment, insert the applied entry, pull the pending key (+ a read of each conditional
    // write on FerretDB).
    expect(second).toHaveLength(t.ferretDb ? 6 : 4);
  }, 60_000);

  test("a task's first step result is one write; a later step's is two", async () => {
    const worldId = newWorldId('trips');
    await repos.tasks.createIfAbsent({ id: `${worldId}:t`, type: 'x', worldId });
    const first = await commandsOf(() => repos.tasks.saveStepResult(`${worldId}:t`, 'header', { id: 'h' }));
    const second = await commandsOf(() => repos.tasks.saveStepResult(`${worldId}:t`, 'icon', { id: 'i' }));
    // MongoDB: one conditional update, then it and the dotted update. FerretDB: the conditional update is a read
    // and a write, and a condition that fails there costs no write.
    expect(first).toEqual(t.ferretDb ? ['find tasks', 'update tasks'] : ['update tasks']);
    expect(second).toEqual(t.ferretDb ? ['find tasks', 'update tasks'] : ['update tasks', 'update tasks']);
    expect((await repos.tasks.require(`${worldId}:t`)).result).toEqual({ header: { id: 'h' }, icon: { id: 'i' } });
  }, 60_000);

  test('steps of one task saved concurrently are all kept', async () => {
    const worldId = newWorldId('trips');
    await repos.tasks.createIfAbsent({ id: `${worldId}:c`, type: 'x', worldId });
    const steps = Array.from({ length: 8 }, (_, i) => `step${i}`);
    await Promise.all(steps.map((s) => repos.tasks.saveStepResult(`${worldId}:c`, s, { s })));
    expect(Object.keys((await repos.tasks.require(`${worldId}:c`)).result ?? {}).sort()).toEqual(steps);
  }, 60_000);

  test('completing a creation is one write that returns the record; the first completion wins', async () => {
    const worldId = newWorldId('trips');
    const key = `${worldId}:create`;
    await repos.sideEffects.openCreation(key, { worldId, kind: 'character', request: { n: 1 } });
    const trips = await commandsOf(() => repos.sideEffects.completeCreation(key, { id: 'first' }));
    expect(trips.filter((c) => !c.startsWith('find side_effects'))).toEqual(['findAndModify side_effects']);
    expect((await repos.sideEffects.completeCreation(key, { id: 'second' })).result).toEqual({ id: 'first' });
    expect((await repos.sideEffects.markAmbiguous(key, 'late')).state).toBe('done');
  }, 60_000);

  test('a start-up against a database that has every index lists each indexed collection once and creates nothing', async () => {
    const trips = await commandsOf(() => ensureAllIndexes(t.db));
    expect(trips).toHaveLength(ALL_COLLECTIONS.filter((c) => c.indexes.length > 0).length);
    expect(trips.every((c) => c.startsWith('listIndexes'))).toBe(true);
  }, 60_000);
});
