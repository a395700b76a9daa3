import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Double } from 'mongodb';
import {
  ApiRequestCollection,
  createApiRequestRepository,
  createSideEffectRepository,
  createTaskRepository,
  createWorldParametersRepository,
  ensureAllIndexes,
  NotFoundError,
  RepositoryValidationError,
} from '../../src/repositories';
import { newWorldId, openTestDb, type TestDb } from './support';

const T = 60_000;
let t: TestDb;

beforeAll(async () => {
  t = await openTestDb('repo_other');
  await ensureAllIndexes(t.db);
}, T);
afterAll(() => t?.dispose(), T);

describe('tasks', () => {
  test('createIfAbsent twice returns the first task', async () => {
    const tasks = createTaskRepository(t.db);
    const worldId = newWorldId();
    const a = await tasks.createIfAbsent({ id: `${worldId}:char:0`, type: 'character', worldId, parentId: null, parameters: { index: 0 } });
    const b = await tasks.createIfAbsent({ id: `${worldId}:char:0`, type: 'character', worldId, parameters: { index: 99 } });
    expect(a.created).toBe(true);
    expect(b.created).toBe(false);
    expect(b.task).toEqual(a.task);
    expect(a.task).toMatchObject({ status: 'pending', attempt_count: 0, result: null, error: null, parent_id: null });
    const concurrent = await Promise.all(
      Array.from({ length: 10 }, () => tasks.createIfAbsent({ id: `${worldId}:post:1`, type: 'post', worldId })),
    );
    expect(concurrent.filter((r) => r.created)).toHaveLength(1);
  }, T);

  test('lifecycle: start, retry, saveResult, complete; a finished task is never restarted', async () => {
    const tasks = createTaskRepository(t.db);
    const worldId = newWorldId();
    const id = `${worldId}:desc`;
    await tasks.createIfAbsent({ id, type: 'world_description', worldId });
    expect((await tasks.start(id)).attempt_count).toBe(1);
    expect((await tasks.saveResult(id, { step: 'prompt' })).result).toEqual({ step: 'prompt' });
    let task = await tasks.start(id);
    expect(task).toMatchObject({ status: 'in_progress', attempt_count: 2, error: null });
    task = await tasks.complete(id, { name: 'Aeria' });
    expect(task).toMatchObject({ status: 'completed', result: { name: 'Aeria' } });
    expect((await tasks.start(id)).attempt_count).toBe(2);
    expect((await tasks.fail(id, 'late')).status).toBe('completed');
    await tasks.createIfAbsent({ id: `${worldId}:char:0`, type: 'character', worldId, parentId: id });
    expect((await tasks.listByWorld(worldId)).map((x) => x._id).sort()).toEqual([`${worldId}:char:0`, id].sort());
    expect((await tasks.listByWorld(worldId, 'character')).map((x) => x._id)).toEqual([`${worldId}:char:0`]);
  }, T);

  test('a begin that lands after the task failed leaves it failed (begin runs beside the first step)', async () => {
    const tasks = createTaskRepository(t.db);
    const worldId = newWorldId();
    const id = `${worldId}:post:0`;
    await tasks.createIfAbsent({ id, type: 'post', worldId });
    await tasks.fail(id, 'LLM call limit of 6 reached');
    const late = await tasks.start(id);
    expect(late).toMatchObject({ status: 'failed', error: 'LLM call limit of 6 reached', attempt_count: 0 });
  }, T);

  test('a step result with U+0000 in its text is stored without it, at any depth (a PostgreSQL-backed store refuses it)', async () => {
    const tasks = createTaskRepository(t.db);
    const worldId = newWorldId();
    const id = `${worldId}:char:0`;
    await tasks.createIfAbsent({ id, type: 'character', worldId });
    await tasks.saveStepResult(id, 'character_detail', { display_name: 'Mi\u0000ra', tags: ['a\u0000', 'b'], nested: { n: 1, s: '\u0000x' } });
    await tasks.saveStepResult(id, 'avatar', 'p\u0000q');
    expect((await tasks.require(id)).result).toEqual({ character_detail: { display_name: 'Mira', tags: ['a', 'b'], nested: { n: 1, s: 'x' } }, avatar: 'pq' });
  }, T);

  test('require names the missing task; invalid writes name the field', async () => {
    const tasks = createTaskRepository(t.db);
    await expect(tasks.require('nope-1')).rejects.toThrow(/task 'nope-1' not found/);
    await expect(tasks.start('nope-2')).rejects.toBeInstanceOf(NotFoundError);
    const err = await tasks.createIfAbsent({ id: '', type: 'x', worldId: 'w' }).catch((e: unknown) => e);
    expect(RepositoryValidationError.is(err)).toBe(true);
    expect((err as Error).message).toMatch(/collection 'tasks'.*_id/);
  }, T);
});

describe('world_parameters', () => {
  test('save sets created_at once, updated_at every time, no id field', async () => {
    const repo = createWorldParametersRepository(t.db);
    const worldId = newWorldId();
    const first = await repo.save(worldId, { name: 'Aeria', user_preferences: { language: 'en' }, theme: 'sky' });
    expect(first).toMatchObject({ _id: worldId, name: 'Aeria', language: 'en', params: { theme: 'sky' } });
    await Bun.sleep(5);
    const second = await repo.save(worldId, { name: 'Aeria II', theme: 'sea' });
    expect(second.created_at).toEqual(first.created_at);
    expect(second.updated_at.getTime()).toBeGreaterThan(first.updated_at.getTime());
    expect(second.params).toEqual({ name: 'Aeria II', theme: 'sea' });
    expect(second.language).toBeNull();
    expect('id' in (await repo.require(worldId))).toBe(false);
    await expect(repo.require(newWorldId('missing'))).rejects.toBeInstanceOf(NotFoundError);
  }, T);
});

describe('api_requests_history', () => {
  test('record stores typed rows and refuses credentials', async () => {
    const repo = createApiRequestRepository(t.db);
    const worldId = newWorldId();
    const row = await repo.record({
      api_type: 'llm',
      task_id: 't1',
      world_id: worldId,
      request_type: 'generate_structured_content',
      request_data: { model: 'm', prompt: 'p' },
      duration_ms: 1234,
      prompt_tokens: 10,
      completion_tokens: 20,
      cost: 1,
      attempt: 1,
    });
    expect(row._id).toMatch(/^[0-9a-f-]{36}$/);
    await repo.record({ api_type: 'grpc', task_id: 't2', world_id: worldId, request_type: 'x', request_data: {}, duration_ms: 1, error: 'boom' });
    const rows = await repo.listByWorld(worldId);
    expect(rows).toHaveLength(2);
    const stored = await t.db.collection(ApiRequestCollection.name).findOne({ _id: row._id as never }, { promoteValues: false });
    expect(stored?.cost).toBeInstanceOf(Double);
    expect(stored?.created_at).toBeInstanceOf(Date);
    const err = await repo
      .record({ api_type: 'http', task_id: 't', world_id: worldId, request_type: 'x', request_data: { headers: { Authorization: 'Bearer sk-xyz' } }, duration_ms: 1 })
      .catch((e: unknown) => e);
    expect(RepositoryValidationError.is(err)).toBe(true);
    expect((err as Error).message).toContain('request_data.headers.Authorization');
    expect((err as Error).message).not.toContain('sk-xyz');
    await expect(
      repo.record({ api_type: 'llm', task_id: 't', world_id: worldId, request_type: 'x', request_data: {}, duration_ms: 1.5 }),
    ).rejects.toThrow(/duration_ms/);
  }, T);
});

describe('side_effects', () => {
  test('concurrent remember with different results converges on the first', async () => {
    const repo = createSideEffectRepository(t.db);
    const worldId = newWorldId();
    const key = `${worldId}:create_character:0`;
    expect(await repo.find(key)).toBeNull();
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => repo.remember(key, { worldId, kind: 'create_character', result: { characterId: `c-${i}` } })),
    );
    const stored = await repo.find<{ characterId: string }>(key);
    expect(stored).not.toBeNull();
    for (const r of results) expect(r).toEqual(stored as { characterId: string });
    expect(await repo.remember(key, { worldId, kind: 'create_character', result: { characterId: 'late' } })).toEqual(stored as { characterId: string });
  }, T);
});
