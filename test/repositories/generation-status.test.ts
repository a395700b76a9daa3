import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Double, Int32, Long } from 'mongodb';
import {
  createGenerationStatusRepository,
  ensureAllIndexes,
  GenerationStatusCollection,
  NotFoundError,
  RepositoryValidationError,
  STAGE_NAMES,
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
      applied_keys: [],
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
    expect(doc?.applied_keys).toHaveLength(50);
  }, T);

  test('the same key applied 20 times concurrently counts once', async () => {
    const id = newWorldId();
    await init(id);
    const results = await Promise.all(Array.from({ length: 20 }, () => repo.applyOnce(id, 'char-1', { users_created: 1 })));
    expect(results.filter(Boolean)).toHaveLength(1);
    expect((await repo.get(id))?.users_created).toBe(1);
    expect(await repo.applyOnce(id, 'char-1', { users_created: 1 })).toBe(false);
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
});
