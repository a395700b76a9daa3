/**
 * `advanceStages`: several stage moves and the world's first error in one compare-and-set, with advanceStage's rules
 * (forward only, first failure sets `error`), against the real server — including advanceStage and recordError
 * calls racing it from the same pool.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import type { CommandStartedEvent } from 'mongodb';
import { createGenerationStatusRepository, ensureAllIndexes, type GenerationStatusRepository, type StageName } from '../../src/repositories';
import { newWorldId, openTestDb, type TestDb } from './support';

const T = 60_000;
let t: TestDb;
let repo: GenerationStatusRepository;
const writes: string[] = [];
const record = (e: CommandStartedEvent) => {
  if (e.commandName === 'findAndModify' || e.commandName === 'update') writes.push(e.commandName);
};

beforeAll(async () => {
  t = await openTestDb('repo_stages', { monitorCommands: true });
  await ensureAllIndexes(t.db);
  repo = createGenerationStatusRepository(t.db);
  t.client.on('commandStarted', record);
}, T);
afterAll(async () => {
  t?.client.off('commandStarted', record);
  await t?.dispose();
}, T);

const init = (worldId: string) =>
  repo.initialize({ worldId, charactersCount: 3, postsCount: 10, userPrompt: 'p', apiCallLimitsLlm: 100, apiCallLimitsImages: 50, tasksPredicted: 20 });
const statusOf = (doc: { stages: { name: string; status: string }[] }) => Object.fromEntries(doc.stages.map((s) => [s.name, s.status]));

test('the moves land in one write: forward only, the plan error first, no write when nothing changes', async () => {
  const id = newWorldId('stages');
  await init(id);
  await repo.advanceStage(id, 'world_image', 'completed');
  const before = await repo.require(id);
  writes.length = 0;
  const doc = await repo.advanceStages(id, () => ({
    error: 'the world reason',
    moves: [
      { stage: 'initializing', status: 'completed' },
      { stage: 'world_description', status: 'failed', reason: 'description was not written' },
      // Final already: ignored, as advanceStage would.
      { stage: 'world_image', status: 'failed', reason: 'never' },
      { stage: 'characters', status: 'in_progress' },
      { stage: 'characters', status: 'completed' },
      { stage: 'finishing', status: 'failed', reason: 'cancelled' },
    ],
  }));
  // One compare-and-set (on FerretDB a conditional write is a read and a write by _id; the write is still one).
  expect(writes).toHaveLength(1);
  expect(doc.revision).toBe((before.revision ?? 0) + 1);
  expect(statusOf(doc)).toEqual({
    initializing: 'completed',
    world_description: 'failed',
    world_image: 'completed',
    characters: 'completed',
    posts: 'pending',
    finishing: 'failed',
  });
  expect(doc.stages.find((s) => s.name === 'world_description')?.reason).toBe('description was not written');
  expect(doc.error).toBe('the world reason');
  expect(doc.status).toBe('failed');
  expect(doc.current_stage).toBe('finishing');

  // Again (a retried activity): nothing changes, nothing is written.
  writes.length = 0;
  const again = await repo.advanceStages(id, [
    { stage: 'world_description', status: 'completed' },
    { stage: 'finishing', status: 'completed' },
  ]);
  expect(writes).toEqual([]);
  expect(again.revision).toBe(doc.revision);
  expect(statusOf(again)).toEqual(statusOf(doc));

  // Without a plan error, the first failed move sets it; a later failure keeps it.
  const other = newWorldId('stages');
  await init(other);
  const failed = await repo.advanceStages(other, [
    { stage: 'initializing', status: 'failed', reason: 'first' },
    { stage: 'posts', status: 'failed' },
  ]);
  expect(failed.error).toBe('first');
  expect(failed.stages.find((s) => s.name === 'posts')?.reason).toBeUndefined();
  await expect(repo.advanceStages(other, [{ stage: 'nope' as StageName, status: 'completed' }])).rejects.toThrow(/unknown stage 'nope'/);
}, T);

test('advanceStage and recordError racing a batch: no move of either side is lost, and the plan decides on the document it writes', async () => {
  const rounds = await Promise.all(
    Array.from({ length: 6 }, async () => {
      const id = newWorldId('race');
      await init(id);
      let plans = 0;
      const calls: Promise<unknown>[] = [];
      for (let i = 0; i < 4; i++) {
        calls.push(repo.advanceStage(id, 'world_image', 'completed'));
        calls.push(repo.advanceStage(id, 'characters', 'in_progress'));
        calls.push(repo.advanceStage(id, 'finishing', 'in_progress'));
      }
      calls.push(repo.recordError(id, 'racing error'));
      const batch = repo.advanceStages(id, (doc) => {
        plans++;
        // Decided on what it reads: posts completes only if the world image is done in the document it writes.
        const imageDone = doc.stages.find((s) => s.name === 'world_image')?.status === 'completed';
        return {
          moves: [
            { stage: 'initializing', status: 'completed' },
            { stage: 'world_description', status: 'completed' },
            imageDone ? { stage: 'posts', status: 'completed' } : { stage: 'posts', status: 'failed', reason: 'image not done' },
            { stage: 'finishing', status: 'completed' },
          ],
        };
      });
      await Promise.all([...calls, batch]);
      return { doc: await repo.require(id), batchDoc: await batch, plans };
    }),
  );
  for (const { doc, batchDoc, plans } of rounds) {
    const s = statusOf(doc);
    expect(s.initializing).toBe('completed');
    expect(s.world_description).toBe('completed');
    expect(s.world_image).toBe('completed');
    expect(s.characters).toBe('in_progress');
    // `finishing` in_progress landing after the batch's completed is a no-op (forward only).
    expect(s.finishing).toBe('completed');
    // The first failure wins: the racing recordError, unless the batch failed `posts` before it landed.
    expect(doc.error === 'racing error' || (s.posts === 'failed' && doc.error === 'image not done')).toBe(true);
    // What the plan decided matches the image stage of the revision it wrote.
    const batchImage = statusOf(batchDoc).world_image;
    expect(s.posts).toBe(batchImage === 'completed' ? 'completed' : 'failed');
    expect(plans).toBeGreaterThanOrEqual(1);
  }
}, T);
