/**
 * World milestones and world metrics from the real status repository (on the test stack's MongoDB): one line and
 * one count per transition however often an activity retries it, and a cancelled world counted as cancelled.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { CANCELLED_REASON } from '../../src/domain/stages';
import { createServiceLogger } from '../../src/observability/logger';
import { createMetrics } from '../../src/observability/metrics';
import { observeWorldEvents } from '../../src/observability/world-events';
import { createGenerationStatusRepository, ensureAllIndexes } from '../../src/repositories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { openTestDb, type TestDb } from '../repositories/support';

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb('obs_events');
  await ensureAllIndexes(t.db);
}, STACK_TIMEOUT_MS);
afterAll(() => t?.dispose());

function observed() {
  const lines: Record<string, any>[] = [];
  const log = createServiceLogger({ level: 'info', write: (l) => lines.push(JSON.parse(l)) });
  const metrics = createMetrics({ defaultMetrics: false });
  const raw = createGenerationStatusRepository(t.db);
  return { raw, status: observeWorldEvents(raw, log, metrics), lines, metrics };
}

const init = (status: ReturnType<typeof createGenerationStatusRepository>, worldId: string) =>
  status.initialize({ worldId, charactersCount: 2, postsCount: 3, userPrompt: 'p', apiCallLimitsLlm: 40, apiCallLimitsImages: 20, tasksPredicted: 9 });

const count = async (m: ReturnType<typeof createMetrics>, name: string) =>
  (await m.registry.getSingleMetric(name)!.get()).values.map((v) => ({ labels: v.labels, value: v.value, metric: (v as { metricName?: string }).metricName }));

test('a retried transition is logged and counted once; started and finished carry the world’s numbers', async () => {
  const { raw, status, lines, metrics } = observed();
  const worldId = randomUUID();
  await init(raw, worldId);
  for (let i = 0; i < 3; i++) await status.advanceStage(worldId, 'initializing', 'completed'); // an activity retried twice
  expect(lines.filter((l) => l.message === 'world started')).toEqual([
    expect.objectContaining({ world_id: worldId, characters_count: 2, posts_count: 3, api_call_limits_llm: 40, api_call_limits_images: 20 }),
  ]);
  expect(lines.filter((l) => l.message === 'world stage')).toHaveLength(1);
  expect((await count(metrics, 'generia_worlds_started_total'))[0]?.value).toBe(1);

  for (const stage of ['world_description', 'world_image', 'characters', 'posts'] as const) {
    await status.advanceStage(worldId, stage, 'in_progress');
    await status.advanceStage(worldId, stage, 'completed');
  }
  await raw.applyOnce(worldId, 'k1', { users_created: 2, avatars_created: 2, posts_created: 3, llm_cost_total: 0.25, image_cost_total: 0.5 });
  await status.advanceStage(worldId, 'finishing', 'in_progress');
  expect(lines.some((l) => l.message === 'world finished')).toBe(false); // in progress is not the end
  await status.advanceStage(worldId, 'finishing', 'completed');
  await status.advanceStage(worldId, 'finishing', 'completed');
  const finished = lines.filter((l) => l.message === 'world finished');
  expect(finished).toEqual([
    expect.objectContaining({ level: 'info', world_id: worldId, status: 'completed', characters_created: 2, avatars_created: 2, posts_created: 3, cost_usd: 0.75 }),
  ]);
  expect(finished[0]!.duration_s).toBeGreaterThanOrEqual(0);
  expect(await count(metrics, 'generia_worlds_finished_total')).toEqual([expect.objectContaining({ labels: { status: 'completed' }, value: 1 })]);
}, STACK_TIMEOUT_MS);

test('a cancelled world is counted as cancelled, a refused one as failed', async () => {
  const { raw, status, lines, metrics } = observed();
  const cancelled = randomUUID();
  await init(raw, cancelled);
  await status.advanceStage(cancelled, 'initializing', 'completed');
  await status.advanceStage(cancelled, 'world_description', 'in_progress');
  await raw.recordError(cancelled, CANCELLED_REASON);
  await status.advanceStage(cancelled, 'world_description', 'failed', `world description was not written (${CANCELLED_REASON})`);
  await status.advanceStage(cancelled, 'finishing', 'failed', CANCELLED_REASON);

  const refused = randomUUID();
  await init(raw, refused);
  await status.advanceStage(refused, 'initializing', 'failed', 'invalid input: characters_count: must be 1..40');

  const ended = lines.filter((l) => l.message === 'world finished');
  expect(ended.map((l) => [l.world_id, l.status, l.level])).toEqual([
    [cancelled, 'cancelled', 'warn'],
    [refused, 'failed', 'warn'],
  ]);
  const byStatus = Object.fromEntries((await count(metrics, 'generia_worlds_finished_total')).map((v) => [v.labels.status, v.value]));
  expect(byStatus).toEqual({ cancelled: 1, failed: 1 });
}, STACK_TIMEOUT_MS);
