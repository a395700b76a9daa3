/**
 * `applyManyOnce`: several keyed increments of one world in the round trips of one, key by key exactly the states of
 * `applyOnce`'s protocol — so a key counts once whether it is applied by a batch, by `applyOnce`, by both, or by a
 * retry of either after a crash between steps (a rolling deploy runs older workers that know only `applyOnce`).
 * Each case runs twice on FerretDB: with its conditional writes left to the server and split into a read and a
 * write by `_id` (document-locks.ts, the path a large collection takes), whose filter test is `sift`.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { CommandStartedEvent } from 'mongodb';
import {
  conditionalWriteTuning,
  createGenerationStatusRepository,
  ensureAllIndexes,
  GenerationStatusCollection,
  NotFoundError,
  RepositoryValidationError,
  StatusLedgerCollection,
  type GenerationStatusRepository,
} from '../../src/repositories';
import { newWorldId, openTestDb, type TestDb } from './support';

const T = 60_000;
let t: TestDb;
let repo: GenerationStatusRepository;
const threshold = conditionalWriteTuning.scanThreshold;
const sent: string[] = [];
const record = (e: CommandStartedEvent) => sent.push(`${e.commandName} ${String(e.command[e.commandName])}`);

beforeAll(async () => {
  t = await openTestDb('repo_apply_many', { monitorCommands: true });
  await ensureAllIndexes(t.db);
  repo = createGenerationStatusRepository(t.db);
  t.client.on('commandStarted', record);
}, T);
afterAll(async () => {
  conditionalWriteTuning.scanThreshold = threshold;
  t?.client.off('commandStarted', record);
  await t?.dispose();
}, T);

const init = (worldId: string) =>
  repo.initialize({ worldId, charactersCount: 3, postsCount: 10, userPrompt: 'p', apiCallLimitsLlm: 100, apiCallLimitsImages: 50, tasksPredicted: 20 });

const ledger = () => t.db.collection<Record<string, unknown>>(StatusLedgerCollection.name);
const statusCol = () => t.db.collection<Record<string, unknown>>(GenerationStatusCollection.name);
const entry = (worldId: string, key: string, increments: Record<string, number>, applied: boolean) => ({
  _id: applied ? `${worldId}|${key}` : `attempt:${worldId}|${key}`,
  world_id: worldId,
  key,
  increments,
  applied,
  created_at: new Date(),
});
/** The raw steps of the protocol, as an attempt that crashed or stalled after them would have left them. */
const rawStep1 = (worldId: string, key: string, inc: Record<string, number>) => ledger().insertOne(entry(worldId, key, inc, false) as never);
const rawStep2 = (worldId: string, key: string, inc: Record<string, number>) =>
  statusCol().updateOne({ _id: worldId as never, pending_keys: { $ne: key } }, { $inc: inc as never, $push: { pending_keys: key } as never });
const rawStep3 = (worldId: string, key: string, inc: Record<string, number>) => ledger().insertOne(entry(worldId, key, inc, true) as never);
const markContended = (worldId: string, key: string) => statusCol().updateOne({ _id: worldId as never }, { $addToSet: { contended_keys: key } as never });

const tasks = (n: number, prefix = 'task-created:t') => Array.from({ length: n }, (_, i) => ({ key: `${prefix}${i}`, increments: { tasks_total: 1 } }));

for (const split of [false, true]) {
  describe(`applyManyOnce (${split ? 'conditional writes split' : 'server-side conditional writes'})`, () => {
    beforeAll(() => {
      conditionalWriteTuning.scanThreshold = split ? -1 : threshold;
    });

    test('five keys: counted once each, every ledger entry written, nothing left pending, in 4 commands (+2 reads split)', async () => {
      const id = newWorldId('many');
      await init(id);
      sent.length = 0;
      const applied = await repo.applyManyOnce(id, [...tasks(4), { key: `task-finished:x`, increments: { tasks_completed: 1 } }]);
      // Not the locks' background recount of the collection and plan probe (document-locks.ts).
      const commands = sent.filter((c) => !c.startsWith('count ') && !c.startsWith('explain '));
      expect(applied).toEqual([true, true, true, true, true]);
      expect(await repo.get(id)).toMatchObject({ tasks_total: 4, tasks_completed: 1, pending_keys: [], contended_keys: [] });
      expect(await ledger().countDocuments({ world_id: id, applied: true })).toBe(5);
      expect(await ledger().countDocuments({ world_id: id, applied: false })).toBe(5);
      // insert attempts, increment + mark pending, insert applied entries, unmark (+ a read of each conditional
      // write when FerretDB's are split).
      expect(commands).toHaveLength(t.ferretDb && split ? 6 : 4);
      // Again, as a retry: nothing counts twice.
      expect(await repo.applyManyOnce(id, [...tasks(4), { key: `task-finished:x`, increments: { tasks_completed: 1 } }])).toEqual([false, false, false, false, false]);
      expect(await repo.get(id)).toMatchObject({ tasks_total: 4, tasks_completed: 1, pending_keys: [], contended_keys: [] });
    }, T);

    test('keys applied by applyOnce before, or after, a batch count once', async () => {
      const id = newWorldId('many');
      await init(id);
      expect(await repo.applyOnce(id, 'task-created:t1', { tasks_total: 1 })).toBe(true);
      expect(await repo.applyManyOnce(id, tasks(3))).toEqual([true, false, true]);
      expect(await repo.applyOnce(id, 'task-created:t2', { tasks_total: 1 })).toBe(false);
      expect(await repo.get(id)).toMatchObject({ tasks_total: 3, pending_keys: [], contended_keys: [] });
    }, T);

    test('overlapping batches and single applies, 30 at once: each of 12 keys counts once', async () => {
      const id = newWorldId('many');
      await init(id);
      const keys = tasks(12);
      const calls = Array.from({ length: 30 }, (_, c) => {
        if (c % 3 === 0) return repo.applyOnce(id, keys[c % 12]!.key, { tasks_total: 1 }).then((a) => (a ? 1 : 0));
        const batch = keys.filter((_, i) => (i * 7 + c) % 4 !== 0);
        return repo.applyManyOnce(id, batch).then((a) => a.filter(Boolean).length);
      });
      const appliedByCalls = (await Promise.all(calls)).reduce((s: number, n: number) => s + n, 0);
      expect(appliedByCalls).toBe(12);
      expect((await repo.get(id))?.tasks_total).toBe(12);
      expect(await ledger().countDocuments({ world_id: id, applied: true })).toBe(12);
    }, T);

    test('a key one attempt left after step 1 takes the slow path; the rest of the batch the fast one', async () => {
      const id = newWorldId('many');
      await init(id);
      await rawStep1(id, 'task-created:t1', { tasks_total: 1 });
      expect(await repo.applyManyOnce(id, tasks(3))).toEqual([true, true, true]);
      // The crashed attempt cannot be told from a stalled one: its key stays pending and contended, the others not.
      expect(await repo.get(id)).toMatchObject({ tasks_total: 3, pending_keys: ['task-created:t1'], contended_keys: ['task-created:t1'] });
      expect(await repo.applyOnce(id, 'task-created:t1', { tasks_total: 1 })).toBe(false);
      expect((await repo.get(id))?.tasks_total).toBe(3);
    }, T);

    test('a key pending from a crash after step 2 is not counted again; the batch falls back key by key', async () => {
      const id = newWorldId('many');
      await init(id);
      // Not through step 1 of this batch's own keys: an older attempt of t0 wrote steps 1 and 2 and crashed.
      await rawStep1(id, 'task-created:t0', { tasks_total: 1 });
      await rawStep2(id, 'task-created:t0', { tasks_total: 1 });
      expect(await repo.applyManyOnce(id, tasks(3))).toEqual([false, true, true]);
      expect((await repo.get(id))?.tasks_total).toBe(3);
      expect(await ledger().findOne({ _id: `${id}|task-created:t0` as never })).toMatchObject({ applied: true });
    }, T);

    test('a batch that crashed after its step 2, retried by applyOnce (an older worker) and by the batch, counts once', async () => {
      const id = newWorldId('many');
      await init(id);
      const keys = tasks(3);
      for (const k of keys) await rawStep1(id, k.key, k.increments);
      await statusCol().updateOne({ _id: id as never }, { $inc: { tasks_total: 3 }, $push: { pending_keys: { $each: keys.map((k) => k.key) } } } as never);
      expect(await repo.applyOnce(id, keys[0]!.key, { tasks_total: 1 })).toBe(false);
      expect(await repo.applyManyOnce(id, keys)).toEqual([false, false, false]);
      expect((await repo.get(id))?.tasks_total).toBe(3);
      expect(await ledger().countDocuments({ world_id: id, applied: true })).toBe(3);
    }, T);

    test('a batch that crashed after its step 3: the retry counts nothing and unmarks every key', async () => {
      const id = newWorldId('many');
      await init(id);
      const keys = tasks(3);
      for (const k of keys) await rawStep1(id, k.key, k.increments);
      await statusCol().updateOne({ _id: id as never }, { $inc: { tasks_total: 3 }, $push: { pending_keys: { $each: keys.map((k) => k.key) } } } as never);
      for (const k of keys) await rawStep3(id, k.key, k.increments);
      expect(await repo.applyManyOnce(id, keys)).toEqual([false, false, false]);
      expect(await repo.get(id)).toMatchObject({ tasks_total: 3, pending_keys: [], contended_keys: [] });
    }, T);

    test('a key marked contended by a stalled duplicate keeps its pending marker; its late step 2 cannot match', async () => {
      const id = newWorldId('many');
      await init(id);
      const keys = tasks(3);
      // The batch's step 1 is first for every key (nothing in the ledger); a duplicate of t2 then marks it contended
      // before the batch's step 4 — modelled by marking it before the batch runs, which the step-4 filter sees alike.
      await markContended(id, keys[2]!.key);
      expect(await repo.applyManyOnce(id, keys)).toEqual([true, true, true]);
      expect(await repo.get(id)).toMatchObject({ tasks_total: 3, pending_keys: [keys[2]!.key], contended_keys: [keys[2]!.key] });
      expect((await rawStep2(id, keys[2]!.key, { tasks_total: 1 })).matchedCount).toBe(0);
      expect((await repo.get(id))?.tasks_total).toBe(3);
    }, T);

    test('money fields named by more than one key are applied key by key (no summed rounding), still once', async () => {
      const id = newWorldId('many');
      await init(id);
      const items = [0.1, 0.2, 0.7].map((usd, i) => ({ key: `cost:${i}`, increments: { llm_cost_total: usd } }));
      expect(await repo.applyManyOnce(id, items)).toEqual([true, true, true]);
      let expected = 0;
      for (const { increments } of items) expected += increments.llm_cost_total;
      expect((await repo.get(id))?.llm_cost_total).toBe(expected);
      expect(await repo.applyManyOnce(id, items)).toEqual([false, false, false]);
      expect((await repo.get(id))?.llm_cost_total).toBe(expected);
    }, T);

    test('a missing world, a key named twice and a bad increment are refused', async () => {
      await expect(repo.applyManyOnce(newWorldId('missing'), tasks(2))).rejects.toBeInstanceOf(NotFoundError);
      const id = newWorldId('many');
      await init(id);
      await expect(repo.applyManyOnce(id, [...tasks(2), ...tasks(1)])).rejects.toBeInstanceOf(RepositoryValidationError);
      await expect(repo.applyManyOnce(id, [{ key: 'a', increments: { tasks_total: -1 } }, ...tasks(1)])).rejects.toBeInstanceOf(RepositoryValidationError);
      expect(await repo.applyManyOnce(id, [])).toEqual([]);
      expect((await repo.get(id))?.tasks_total).toBe(0);
    }, T);
  });
}
