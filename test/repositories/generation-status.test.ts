import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { BSON, Double, Int32, Long } from 'mongodb';
import {
  createGenerationStatusRepository,
  ensureAllIndexes,
  GenerationStatusCollection,
  NotFoundError,
  RepositoryValidationError,
  STAGE_NAMES,
  StatusLedgerCollection,
  type GenerationStatusRepository,
  type StageName,
} from '../../src/repositories';
import { newWorldId, openTestDb, type TestDb } from './support';

const T = 60_000;
let t: TestDb;
let repo: GenerationStatusRepository;

beforeAll(async () => {
  t = await openTestDb('repo_status');
  await ensureAllIndexes(t.db);
  repo = createGenerationStatusRepository(t.db);
}, T);
afterAll(() => t?.dispose(), T);

const init = (worldId: string, over: Partial<Parameters<GenerationStatusRepository['initialize']>[0]> = {}) =>
  repo.initialize({
    worldId,
    charactersCount: 3,
    postsCount: 10,
    userPrompt: 'a world of floating islands',
    apiCallLimitsLlm: 100,
    apiCallLimitsImages: 50,
    tasksPredicted: 20,
    ...over,
  });

const raw = (worldId: string) =>
  t.db.collection(GenerationStatusCollection.name).findOne({ _id: worldId as never }, { promoteValues: false });

const ledger = () => t.db.collection<Record<string, unknown>>(StatusLedgerCollection.name);
const statusCol = () => t.db.collection<Record<string, unknown>>(GenerationStatusCollection.name);

const ledgerEntry = (worldId: string, key: string, increments: Record<string, number>, applied: boolean) => ({
  _id: applied ? `${worldId}|${key}` : `attempt:${worldId}|${key}`,
  world_id: worldId,
  key,
  increments,
  applied,
  created_at: new Date(),
});
/** Raw step 1 of the keyed-increment protocol (the attempt entry), as a crashed attempt would have left it. */
const rawStep1 = (worldId: string, key: string, increments: Record<string, number>) =>
  ledger().insertOne(ledgerEntry(worldId, key, increments, false) as never);
/** Raw step 3: the applied entry. */
const rawStep3 = (worldId: string, key: string, increments: Record<string, number>) =>
  ledger().insertOne(ledgerEntry(worldId, key, increments, true) as never);
/** Raw step 2: the increment plus the pending marker, in one update. */
const rawStep2 = (worldId: string, key: string, inc: Record<string, number>) =>
  statusCol().updateOne(
    { _id: worldId as never, pending_keys: { $ne: key } },
    { $inc: inc as never, $push: { pending_keys: key } as never, $set: { updated_at: new Date() } },
  );

const isBsonInt = (x: unknown) => x instanceof Int32 || x instanceof Long;

describe('world_generation_status', () => {
  test('initialize creates the documented initial document', async () => {
    const id = newWorldId();
    const doc = await init(id);
    expect(doc).toMatchObject({
      _id: id,
      status: 'in_progress',
      current_stage: 'initializing',
      tasks_total: 0,
      tasks_completed: 0,
      tasks_failed: 0,
      task_predicted: 20,
      users_created: 0,
      posts_created: 0,
      users_predicted: 3,
      posts_predicted: 10,
      api_call_limits_LLM: 100,
      api_call_limits_images: 50,
      api_calls_made_LLM: 0,
      api_calls_made_images: 0,
      llm_cost_total: 0,
      image_cost_total: 0,
      parameters: { users_count: 3, posts_count: 10, user_prompt: 'a world of floating islands' },
      error: null,
      revision: 0,
      pending_keys: [],
      contended_keys: [],
    });
    expect(doc.stages).toEqual(
      STAGE_NAMES.map((name) => ({ name, status: name === 'initializing' ? 'in_progress' : 'pending' })),
    );
    expect(doc.created_at).toBeInstanceOf(Date);
  }, T);

  test('initialize twice is a no-op returning the same document', async () => {
    const id = newWorldId();
    const first = await init(id);
    await repo.applyOnce(id, 'k1', { users_created: 1 });
    const second = await init(id, { charactersCount: 99 });
    expect(second.users_predicted).toBe(3);
    expect(second.users_created).toBe(1);
    expect(second.created_at).toEqual(first.created_at);
  }, T);

  test('10 concurrent initialize calls all succeed with one document', async () => {
    const id = newWorldId();
    const docs = await Promise.all(Array.from({ length: 10 }, () => init(id)));
    for (const d of docs) expect(d._id).toBe(id);
    expect(new Set(docs.map((d) => d.created_at.getTime())).size).toBe(1);
    expect(await t.db.collection(GenerationStatusCollection.name).countDocuments({ _id: id as never })).toBe(1);
  }, T);

  test('50 concurrent applyOnce with different keys are all counted', async () => {
    const id = newWorldId();
    await init(id);
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        repo.applyOnce(id, `post-${i}`, { posts_created: 1, tasks_completed: 2, llm_cost_total: 0.25, image_cost_total: 1 }),
      ),
    );
    expect(results.every(Boolean)).toBe(true);
    const doc = await repo.get(id);
    expect(doc).toMatchObject({ posts_created: 50, tasks_completed: 100, llm_cost_total: 12.5, image_cost_total: 50 });
    expect(doc?.pending_keys).toEqual([]);
    expect(doc?.contended_keys).toEqual([]);
    expect(await ledger().countDocuments({ world_id: id, applied: true })).toBe(50);
    expect(await ledger().countDocuments({ world_id: id, applied: false })).toBe(50);
  }, T);

  test('the same key applied 20 times concurrently counts once', async () => {
    const id = newWorldId();
    await init(id);
    const results = await Promise.all(Array.from({ length: 20 }, () => repo.applyOnce(id, 'char-1', { users_created: 1 })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await repo.get(id))?.users_created).toBe(1);
    expect(await repo.applyOnce(id, 'char-1', { users_created: 1 })).toBe(false);
    // A retry after a completed call takes the slow path but leaves nothing behind.
    const other = newWorldId();
    await init(other);
    expect(await repo.applyOnce(other, 'c', { users_created: 1 })).toBe(true);
    expect(await repo.applyOnce(other, 'c', { users_created: 1 })).toBe(false);
    expect(await repo.get(other)).toMatchObject({ users_created: 1, pending_keys: [], contended_keys: [] });
  }, T);

  test('applyOnce validates increments and reports a missing world', async () => {
    const id = newWorldId();
    await init(id);
    await expect(repo.applyOnce(id, 'x', { users_created: 1.5 })).rejects.toBeInstanceOf(RepositoryValidationError);
    await expect(repo.applyOnce(id, 'x', { llm_cost_total: -1 })).rejects.toThrow(/llm_cost_total/);
    await expect(repo.applyOnce(newWorldId('missing'), 'x', { users_created: 1 })).rejects.toBeInstanceOf(NotFoundError);
  }, T);

  test('BSON types are what the Go reader expects', async () => {
    const id = newWorldId();
    await init(id);
    let doc = await raw(id);
    expect(doc).not.toBeNull();
    for (const f of ['users_created', 'posts_created', 'users_predicted', 'api_call_limits_LLM', 'api_calls_made_LLM', 'task_predicted', 'tasks_total']) {
      expect(isBsonInt(doc?.[f])).toBe(true);
    }
    expect(doc?.llm_cost_total).toBeInstanceOf(Double);
    expect(doc?.image_cost_total).toBeInstanceOf(Double);
    expect(doc?.created_at).toBeInstanceOf(Date);
    expect(doc?.updated_at).toBeInstanceOf(Date);
    expect(isBsonInt(doc?.parameters?.users_count)).toBe(true);

    await repo.applyOnce(id, 'a', { users_created: 1, posts_created: 3, llm_cost_total: 1, image_cost_total: 2 });
    await repo.applyOnce(id, 'b', { llm_cost_total: 0.5, llm_prompt_tokens: 1200, api_calls_made_LLM: 1 });
    expect(await repo.reserveApiCall(id, 'images', 'img-1')).toBe('reserved');
    await repo.advanceStage(id, 'initializing', 'completed');
    doc = await raw(id);
    for (const f of ['users_created', 'posts_created', 'llm_prompt_tokens', 'api_calls_made_LLM', 'api_calls_made_images', 'revision']) {
      expect(isBsonInt(doc?.[f])).toBe(true);
    }
    expect(doc?.llm_cost_total).toBeInstanceOf(Double);
    expect(doc?.image_cost_total).toBeInstanceOf(Double);
    expect((doc?.image_cost_total as Double).value).toBe(2);
    expect((doc?.llm_cost_total as Double).value).toBe(1.5);
    expect(doc?.updated_at).toBeInstanceOf(Date);
  }, T);

  test('30 concurrent advanceStage calls across stages lose no update', async () => {
    const id = newWorldId();
    await init(id);
    const targets: Record<StageName, 'completed' | 'failed' | 'in_progress'> = {
      initializing: 'completed',
      world_description: 'completed',
      world_image: 'completed',
      characters: 'in_progress',
      posts: 'in_progress',
      finishing: 'completed',
    };
    const calls = Array.from({ length: 30 }, (_, i) => {
      const stage = STAGE_NAMES[i % STAGE_NAMES.length] as StageName;
      // Each "task" first reports in_progress, then the target (some duplicates).
      return (async () => {
        await repo.advanceStage(id, stage, 'in_progress');
        await repo.advanceStage(id, stage, targets[stage]);
      })();
    });
    await Promise.all(calls);
    const doc = await repo.get(id);
    expect(doc?.stages.map((s) => [s.name, s.status])).toEqual(STAGE_NAMES.map((n) => [n, targets[n]]));
    expect(doc?.status).toBe('in_progress');
    expect(doc?.current_stage).toBe('posts');
  }, T);

  test('stages are monotonic and status/current_stage follow', async () => {
    const id = newWorldId();
    await init(id);
    let doc = await repo.advanceStage(id, 'initializing', 'completed');
    doc = await repo.advanceStage(id, 'initializing', 'in_progress');
    expect(doc.stages[0]?.status).toBe('completed');
    doc = await repo.advanceStage(id, 'world_description', 'in_progress');
    expect(doc.current_stage).toBe('world_description');
    doc = await repo.advanceStage(id, 'characters', 'in_progress');
    doc = await repo.advanceStage(id, 'world_image', 'in_progress');
    expect(doc.current_stage).toBe('characters');
    for (const s of STAGE_NAMES) doc = await repo.advanceStage(id, s, 'completed');
    expect(doc.status).toBe('completed');
    expect(doc.current_stage).toBe('finishing');
    doc = await repo.advanceStage(id, 'posts', 'failed', 'too late');
    expect(doc.status).toBe('completed');
    expect(doc.error).toBeNull();
  }, T);

  test('a failed stage fails the world and records the first error', async () => {
    const id = newWorldId();
    await init(id);
    let doc = await repo.advanceStage(id, 'world_description', 'failed', 'LLM returned garbage');
    expect(doc.status).toBe('failed');
    expect(doc.stages[1]).toEqual({ name: 'world_description', status: 'failed', reason: 'LLM returned garbage' });
    expect(doc.error).toBe('LLM returned garbage');
    doc = await repo.advanceStage(id, 'world_image', 'failed', 'second');
    expect(doc.error).toBe('LLM returned garbage');
    expect(await repo.recordError(id, 'third')).toBe(false);
    const other = newWorldId();
    await init(other);
    expect(await repo.recordError(other, 'boom')).toBe(true);
    expect(await repo.recordError(other, 'later')).toBe(false);
    expect((await repo.get(other))?.error).toBe('boom');
    await expect(repo.advanceStage(newWorldId('missing'), 'posts', 'completed')).rejects.toBeInstanceOf(NotFoundError);
  }, T);

  test('reserveApiCall stops exactly at the limit under 40 concurrent callers', async () => {
    const id = newWorldId();
    await init(id, { apiCallLimitsLlm: 25 });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => repo.reserveApiCall(id, 'llm', `llm-${i}`)));
    expect(results.filter((r) => r === 'reserved')).toHaveLength(25);
    expect(results.filter((r) => r === 'limit_reached')).toHaveLength(15);
    expect((await repo.get(id))?.api_calls_made_LLM).toBe(25);
    const reservedKey = `llm-${results.indexOf('reserved')}`;
    expect(await repo.reserveApiCall(id, 'llm', reservedKey)).toBe('already_reserved');
    expect(await repo.reserveApiCall(newWorldId('missing'), 'llm', 'k')).toBe('missing');
  }, T);

  test('reserveApiCall with the same key concurrently reserves once', async () => {
    const id = newWorldId();
    await init(id, { apiCallLimitsImages: 5 });
    const results = await Promise.all(Array.from({ length: 10 }, () => repo.reserveApiCall(id, 'images', 'img-same')));
    expect(results.filter((r) => r === 'reserved')).toHaveLength(1);
    expect(results.filter((r) => r === 'already_reserved')).toHaveLength(9);
    expect((await repo.get(id))?.api_calls_made_images).toBe(1);
  }, T);

  test('after 200 keyed increments the status document has no pending keys and stays small', async () => {
    const id = newWorldId();
    await init(id, { apiCallLimitsLlm: 1000 });
    for (let batch = 0; batch < 4; batch++) {
      await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          repo.applyOnce(id, `activity:posts:${batch}-${i}:llm-usage`, { llm_prompt_tokens: 100, llm_cost_total: 0.001 }),
        ),
      );
    }
    const reserved = await Promise.all(
      Array.from({ length: 50 }, (_, i) => repo.reserveApiCall(id, 'llm', `activity:posts:${i}:llm-call`)),
    );
    expect(reserved.every((r) => r === 'reserved')).toBe(true);
    const doc = await raw(id);
    expect(doc?.pending_keys).toEqual([]);
    expect(doc?.contended_keys).toEqual([]);
    const size = BSON.calculateObjectSize(doc!);
    expect(size).toBeLessThan(4096);
    const typed = await repo.get(id);
    expect(typed?.llm_prompt_tokens).toBe(20_000);
    expect(typed?.api_calls_made_LLM).toBe(50);
    expect(typed?.llm_cost_total).toBeCloseTo(0.2, 10);
    expect(await ledger().countDocuments({ world_id: id, applied: true })).toBe(250);
  }, T);

  test('$pull removes one string from an array (FerretDB conformance for step 4)', async () => {
    const id = newWorldId();
    await init(id);
    await statusCol().updateOne({ _id: id as never }, { $push: { pending_keys: { $each: ['a', 'b', 'c'] } } as never });
    await statusCol().updateOne({ _id: id as never }, { $pull: { pending_keys: 'b' } as never });
    expect((await raw(id))?.pending_keys).toEqual(['a', 'c']);
    const r = await statusCol().updateOne({ _id: id as never }, { $pull: { pending_keys: 'zz' } as never });
    expect(r.matchedCount).toBe(1);
    expect((await raw(id))?.pending_keys).toEqual(['a', 'c']);
  }, T);

  test('crash after step 1 (ledger entry only): a retry increments exactly once', async () => {
    const id = newWorldId();
    await init(id);
    await rawStep1(id, 'k', { users_created: 1 });
    expect(await repo.applyOnce(id, 'k', { users_created: 1 })).toBe(true);
    expect(await repo.applyOnce(id, 'k', { users_created: 1 })).toBe(false);
    expect((await repo.get(id))?.users_created).toBe(1);
    expect(await ledger().findOne({ _id: `${id}|k` as never })).toMatchObject({ applied: true });
    // The crashed attempt cannot be told from a stalled one, so the key stays pending (and contended) for safety.
    expect(await repo.get(id)).toMatchObject({ pending_keys: ['k'], contended_keys: ['k'] });
  }, T);

  test('crash after step 2 (incremented, key pending, ledger unapplied): a retry does not count again', async () => {
    const id = newWorldId();
    await init(id);
    await rawStep1(id, 'k', { posts_created: 2, image_cost_total: 0.5 });
    await rawStep2(id, 'k', { posts_created: 2, image_cost_total: 0.5 });
    expect(await repo.applyOnce(id, 'k', { posts_created: 2, image_cost_total: 0.5 })).toBe(false);
    expect(await repo.applyOnce(id, 'k', { posts_created: 2, image_cost_total: 0.5 })).toBe(false);
    const doc = await repo.get(id);
    expect(doc).toMatchObject({ posts_created: 2, image_cost_total: 0.5 });
    expect(await ledger().findOne({ _id: `${id}|k` as never })).toMatchObject({ applied: true });
  }, T);

  test('crash after step 2 of reserveApiCall: the retry reports already_reserved and the counter moved once', async () => {
    const id = newWorldId();
    await init(id, { apiCallLimitsImages: 3 });
    await rawStep1(id, 'img', { api_calls_made_images: 1 });
    await rawStep2(id, 'img', { api_calls_made_images: 1 });
    expect(await repo.reserveApiCall(id, 'images', 'img')).toBe('already_reserved');
    expect((await repo.get(id))?.api_calls_made_images).toBe(1);
  }, T);

  test('crash after step 3 (applied, key still pending): a retry counts nothing and removes the key', async () => {
    const id = newWorldId();
    await init(id);
    await rawStep1(id, 'k', { users_created: 1 });
    await rawStep2(id, 'k', { users_created: 1 });
    await rawStep3(id, 'k', { users_created: 1 });
    expect(await repo.applyOnce(id, 'k', { users_created: 1 })).toBe(false);
    const doc = await repo.get(id);
    expect(doc?.users_created).toBe(1);
    expect(doc?.pending_keys).toEqual([]);
  }, T);

  test('a stalled attempt marked the key contended, so its late step 2 cannot double count', async () => {
    // Attempt A wrote step 1 and stalled; attempt B (a duplicate) ran 1b-1c (marked the key, saw no applied entry)
    // and stalled too; attempt C then runs the whole protocol.
    const id = newWorldId();
    await init(id);
    await rawStep1(id, 'k', { users_created: 1 });
    await statusCol().updateOne({ _id: id as never }, { $addToSet: { contended_keys: 'k' } as never });
    expect(await repo.applyOnce(id, 'k', { users_created: 1 })).toBe(true);
    expect((await repo.get(id))?.pending_keys).toEqual(['k']);
    // A and B wake up and run their step 2: neither may match.
    expect((await rawStep2(id, 'k', { users_created: 1 })).matchedCount).toBe(0);
    expect((await rawStep2(id, 'k', { users_created: 1 })).matchedCount).toBe(0);
    expect((await repo.get(id))?.users_created).toBe(1);
  }, T);

  test('limit_reached leaves no pending key and nothing applied', async () => {
    const id = newWorldId();
    await init(id, { apiCallLimitsLlm: 1 });
    expect(await repo.reserveApiCall(id, 'llm', 'a')).toBe('reserved');
    expect(await repo.reserveApiCall(id, 'llm', 'b')).toBe('limit_reached');
    expect(await repo.reserveApiCall(id, 'llm', 'b')).toBe('limit_reached');
    const doc = await repo.get(id);
    expect(doc?.pending_keys).toEqual([]);
    expect(doc?.api_calls_made_LLM).toBe(1);
    expect(doc?.contended_keys).toEqual([]);
    expect(await ledger().findOne({ _id: `${id}|b` as never })).toBeNull();
  }, T);
});

