/**
 * `provider_calls` against the real server: insert-only entries, the first stored answer wins, and what a retry
 * reads back (which sends exist, which left, which answers are stored, which task UUIDs were recorded).
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createProviderCallRepository, ensureAllIndexes, RepositoryValidationError, type ProviderCallRef } from '../../src/repositories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { newWorldId, openTestDb, type TestDb } from './support';

let t: TestDb;
let calls: ReturnType<typeof createProviderCallRepository>;

beforeAll(async () => {
  t = await openTestDb('provider_calls');
  await ensureAllIndexes(t.db);
  calls = createProviderCallRepository(t.db);
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await t?.dispose();
});

const refOf = (worldId: string, position = `llm:${worldId}:world-description:world_description:q0:r0`): ProviderCallRef => ({
  worldId,
  taskId: `${worldId}:world-description`,
  position,
  provider: 'llm',
});

test('a fresh position reads as empty; openReservation is true once per send', async () => {
  const ref = refOf(newWorldId());
  expect(await calls.load(ref.position)).toEqual({ reservations: 0, sent: new Set(), results: new Map(), taskUuids: [] });
  expect(await calls.openReservation(ref, 0)).toBe(true);
  expect(await calls.openReservation(ref, 0)).toBe(false);
  expect((await calls.load(ref.position)).reservations).toBe(1);
});

test('sends that left, refused tries given back, and the first stored answer per send', async () => {
  const ref = refOf(newWorldId());
  await calls.openReservation(ref, 0);
  await calls.markSent(ref, 0, 'try-a');
  await calls.markRefused(ref, 0, 'try-a');
  let state = await calls.load(ref.position);
  expect(state.sent.has(0)).toBe(false); // its only try never arrived
  await calls.markSent(ref, 0, 'try-b');
  await calls.markSent(ref, 0, 'try-b'); // idempotent
  state = await calls.load(ref.position);
  expect(state.sent.has(0)).toBe(true);

  const first = { id: 'gen-1', content: '{"a":1}', cost: 0.1 };
  expect(await calls.storeResult(ref, 0, first)).toEqual(first);
  expect(await calls.storeResult(ref, 0, { id: 'gen-2', content: '{"a":2}', cost: 0.2 })).toEqual(first);
  state = await calls.load(ref.position);
  expect([...state.results.entries()]).toEqual([[0, first]]);
});

test('reservations count every send any entry names (the reservation entry may be missing after a crash)', async () => {
  const ref = refOf(newWorldId());
  await calls.markSent(ref, 2, 'try');
  expect((await calls.load(ref.position)).reservations).toBe(3);
});

test('task UUIDs in the order recorded; loadWorld groups a world by position', async () => {
  const worldId = newWorldId();
  const image: ProviderCallRef = { worldId, taskId: `${worldId}:world-image`, position: `image:${worldId}:world-image:world_header:q0`, provider: 'images' };
  await calls.recordTaskUuid(image, 0, 'uuid-1');
  await Bun.sleep(5);
  await calls.recordTaskUuid(image, 1, 'uuid-2');
  await calls.openReservation(refOf(worldId), 0);
  expect((await calls.load(image.position)).taskUuids).toEqual([
    { send: 0, uuid: 'uuid-1' },
    { send: 1, uuid: 'uuid-2' },
  ]);
  const world = await calls.loadWorld(worldId);
  expect([...world.keys()].sort()).toEqual([image.position, refOf(worldId).position].sort());
  expect(world.get(image.position)!.ref).toEqual(image);
});

test('bad entries are refused on write, naming the field', async () => {
  const ref = { ...refOf(newWorldId()), worldId: '' };
  const err = await calls.openReservation(ref, 0).then(() => null, (e: unknown) => e);
  expect(RepositoryValidationError.is(err)).toBe(true);
  expect((err as Error).message).toContain('world_id');
});
