/**
 * The budget reservation in the status repository, against the real MongoDB-compatible server: concurrent callers
 * never reserve past the budget, a key holds its amount once, a settlement may move the committed sum down, the
 * stored types stay doubles, and a world without a budget carries no budget fields.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { createGenerationStatusRepository, ensureAllIndexes, GenerationStatusCollection, type GenerationStatusRepository } from '../../src/repositories';
import { newWorldId, openTestDb, type TestDb } from '../repositories/support';

const T = 60_000;
let t: TestDb;
let repo: GenerationStatusRepository;

beforeAll(async () => {
  t = await openTestDb('spend_budget');
  await ensureAllIndexes(t.db);
  repo = createGenerationStatusRepository(t.db);
}, T);
afterAll(() => t?.dispose(), T);

const init = (worldId: string, budgetUsd: number | null, apiCallLimitsLlm = 100) =>
  repo.initialize({ worldId, charactersCount: 1, postsCount: 1, userPrompt: 'p', apiCallLimitsLlm, apiCallLimitsImages: 10, tasksPredicted: 5, budgetUsd });

const raw = (worldId: string) => t.db.collection(GenerationStatusCollection.name).findOne({ _id: worldId as never }, { promoteValues: false });

test('30 concurrent reservations of $0.01 against $0.10: exactly 10 go through, the rest are refused by the budget', async () => {
  const id = newWorldId();
  await init(id, 0.1);
  const results = await Promise.all(Array.from({ length: 30 }, (_, i) => repo.reserveCall(id, 'llm', `k${i}`, () => 0.01)));
  expect(results.filter((r) => r.outcome === 'reserved')).toHaveLength(10);
  expect(results.filter((r) => r.outcome === 'budget_reached')).toHaveLength(20);
  const doc = await repo.require(id);
  expect(doc.api_calls_made_LLM).toBe(10);
  expect(doc.budget_committed_usd).toBeCloseTo(0.1, 12);
  expect(doc.budget_committed_usd!).toBeLessThanOrEqual(0.1 + 1e-12);
  // A retry of a key that was reserved holds nothing more.
  const again = await repo.reserveCall(id, 'llm', `k${results.findIndex((r) => r.outcome === 'reserved')}`, () => 0.01);
  expect(again).toEqual({ outcome: 'already_reserved', budgetUsd: 0.1, reservedUsd: 0.01 });
  expect((await repo.require(id)).budget_committed_usd).toBeCloseTo(0.1, 12);
}, T);

test('a settlement cheaper than its hold frees room: the committed sum moves down, exactly once per key', async () => {
  const id = newWorldId();
  await init(id, 0.05);
  expect((await repo.reserveCall(id, 'llm', 'a', () => 0.04)).outcome).toBe('reserved');
  expect((await repo.reserveCall(id, 'llm', 'b', () => 0.02)).outcome).toBe('budget_reached');
  expect(await repo.applyOnce(id, 'cost:a', { llm_cost_total: 0.001, budget_committed_usd: 0.001 - 0.04 })).toBe(true);
  expect(await repo.applyOnce(id, 'cost:a', { llm_cost_total: 0.001, budget_committed_usd: 0.001 - 0.04 })).toBe(false);
  expect((await repo.require(id)).budget_committed_usd).toBeCloseTo(0.001, 12);
  expect((await repo.reserveCall(id, 'llm', 'b', () => 0.02)).outcome).toBe('reserved');
  const stored = await raw(id);
  expect(stored?.budget_usd?._bsontype).toBe('Double');
  expect(stored?.budget_committed_usd?._bsontype).toBe('Double');
}, T);

test('the call limit is named when it, not the budget, refuses; a world without a budget has no budget fields', async () => {
  const id = newWorldId();
  await init(id, 10, 1);
  expect((await repo.reserveCall(id, 'llm', 'a', () => 0.01)).outcome).toBe('reserved');
  expect((await repo.reserveCall(id, 'llm', 'b', () => 0.01)).outcome).toBe('limit_reached');

  const free = newWorldId();
  await init(free, null);
  let asked = 0;
  const r = await repo.reserveCall(free, 'llm', 'a', () => {
    asked++;
    return 1;
  });
  expect(r).toEqual({ outcome: 'reserved', budgetUsd: null, reservedUsd: 0 });
  expect(asked).toBe(0); // no price is needed without a budget
  const doc = await raw(free);
  expect(doc && 'budget_usd' in doc).toBe(false);
  expect(doc && 'budget_committed_usd' in doc).toBe(false);
}, T);
