/**
 * Retention of per-world records: the real activities in a mock activity context against the real
 * MongoDB-compatible server and the stand-ins. A settled world's ledger entries, side effects, provider calls, tasks
 * and audit rows are stamped `expires_at` by finishWorld (and the description task's close) and expire; a running
 * world's are not stamped and stay; the status document and world parameters always stay. Deletion here is the
 * portable sweep (FerretDB has no TTL monitor); on MongoDB the TTL index does the same, and is checked when the
 * stack runs MongoDB.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../../dev/stand-ins/openrouter';
import { startRunwareStandIn, type RunwareStandIn } from '../../dev/stand-ins/runware';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';
import { createActivities } from '../../src/activities';
import type { ImageActivities, LlmActivities, ProgressActivities } from '../../src/activities/contracts';
import type { ActivityDeps } from '../../src/activities/deps';
import { createLlmClient } from '../../src/clients/llm-client';
import { createMediaUploader } from '../../src/clients/media-uploader';
import { createRunwareClient } from '../../src/clients/runware-client';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logger';
import { connectMongo, createRepositories, ensureAllIndexes, type MongoHandle } from '../../src/repositories';
import { createRetention, ensureRetentionIndexes, EXPIRING_COLLECTIONS, EXPIRES_AT_TTL_INDEX, type Retention } from '../../src/repositories/retention';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';

const KEEP_MS = 60_000;
let mongo: MongoHandle;
let llm: OpenRouterStandIn;
let images: RunwareStandIn;
let services: ServiceStandIns;
let clients: ServiceClients;
let deps: ActivityDeps;
let retention: Retention;

type Acts = { llm: LlmActivities; images: ImageActivities; progress: ProgressActivities };
const quiet = new DefaultLogger('ERROR');
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, ...args: A) =>
  new MockActivityEnvironment({ attempt: 1 }, { logger: quiet }).run(fn as never, ...(args as unknown as never[])) as Promise<R>;

beforeAll(async () => {
  const stack = await getStack();
  [llm, images, services] = await Promise.all([startOpenRouterStandIn(), startRunwareStandIn(), startServiceStandIns()]);
  const config = loadConfig({
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: `retention_${Date.now()}`,
    OPENROUTER_API_KEY: 'sk-test',
    RUNWARE_API_KEY: 'rw-test',
    LLM_BASE_URL: llm.url,
    RUNWARE_BASE_URL: images.url,
    CHARACTER_SERVICE_URL: services.url,
    POST_SERVICE_URL: services.url,
    MEDIA_SERVICE_URL: services.url,
    WORLD_SERVICE_URL: services.url,
  });
  mongo = await connectMongo(config.mongo);
  await ensureAllIndexes(mongo.db);
  clients = createServiceClients(config.services);
  retention = createRetention(mongo.db, { afterSettledMs: KEEP_MS });
  deps = {
    config,
    repos: createRepositories(mongo.db),
    log: createLogger('error'),
    services: clients,
    llm: createLlmClient({ baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, timeoutMs: 10_000 }),
    runware: createRunwareClient({ baseUrl: config.images.baseUrl, apiKey: config.images.apiKey, timeoutMs: 10_000 }),
    media: createMediaUploader({ media: clients.media, httpTimeoutMs: 10_000 }),
    retention,
  };
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await clients?.close();
  await mongo?.db.dropDatabase().catch(() => {});
  await mongo?.close();
  await Promise.all([llm?.close(), images?.close(), services?.close()]);
});

/** A world part-way through: description written and published, header rendered and uploaded (records in all five collections). */
async function worldInProgress() {
  const worldId = crypto.randomUUID();
  const a = createActivities(deps) as unknown as Acts;
  const { descriptionTaskId } = await run(a.progress.startWorld, {
    world_id: worldId,
    world_name: '',
    world_prompt: 'A canal city whose bridges are rebuilt every night.',
    characters_count: 1,
    posts_count: 1,
  });
  await run(a.llm.runLlmStep, { taskId: descriptionTaskId, step: 'world_description' });
  const { worldImageTaskId } = await run(a.progress.planWorldChildren, { taskId: descriptionTaskId });
  await run(a.llm.runLlmStep, { taskId: worldImageTaskId, step: 'world_image_prompts' });
  await run(a.images.renderImage, { taskId: worldImageTaskId, kind: 'world_header' });
  await run(a.progress.finishTask, { taskId: worldImageTaskId, outcome: 'failed', error: 'stopped by the test' });
  return { worldId, descriptionTaskId, a };
}

const db = () => mongo.db;
/** An expiry of one retention period after the settle, which happened between `before` and `after`. */
function expectRetained(at: Date, before: number, after: number) {
  expect(at).toBeInstanceOf(Date);
  expect(at.getTime()).toBeGreaterThanOrEqual(before + KEEP_MS - 1_000);
  expect(at.getTime()).toBeLessThanOrEqual(after + KEEP_MS + 1_000);
}
const recordsOf = async (worldId: string) =>
  Object.fromEntries(await Promise.all(EXPIRING_COLLECTIONS.map(async (c) => [c.name, await db().collection(c.name).find({ world_id: worldId }).toArray()] as const)));

describe('retention', () => {
  // Both ways of expiring, on whichever server runs the tests: stamps (MongoDB's TTL monitor reads them) and marks by
  // world (what the worker uses on FerretDB, which has no TTL deletion).
  for (const byWorld of [false, true]) test(
    `a settled world's records ${byWorld ? 'are marked by world' : 'are stamped'} and expire; a running world's are not and stay; status and parameters stay`,
    async () => {
      const retention = createRetention(mongo.db, { afterSettledMs: KEEP_MS, byWorld });
      deps = { ...deps, retention };
      const settled = await worldInProgress();
      const running = await worldInProgress();
      const before = Date.now();
      await run(settled.a.progress.finishWorld, { worldId: settled.worldId, failure: 'stopped by the test' });
      await run(settled.a.progress.finishTask, { taskId: settled.descriptionTaskId, outcome: 'failed', error: 'stopped by the test' });
      const after = Date.now();

      const settledRecords = await recordsOf(settled.worldId);
      const runningRecords = await recordsOf(running.worldId);
      for (const c of EXPIRING_COLLECTIONS) {
        // Every collection holds records of both worlds, so the checks below are not vacuous.
        expect(settledRecords[c.name]!.length).toBeGreaterThan(0);
        expect(runningRecords[c.name]!.length).toBeGreaterThan(0);
        for (const r of settledRecords[c.name]!) {
          if (byWorld) {
            expect(r.expires_at).toBeUndefined();
            continue;
          }
          expect(r.expires_at).toBeInstanceOf(Date);
          expectRetained(r.expires_at as Date, before, after);
        }
        for (const r of runningRecords[c.name]!) expect(r.expires_at).toBeUndefined();
      }
      const marks = db().collection('retention_marks');
      if (byWorld) expectRetained((await marks.findOne({ _id: settled.worldId as never }))?.expires_at as Date, before, after);
      expect(await marks.countDocuments({ _id: { $in: byWorld ? [running.worldId] : [settled.worldId, running.worldId] } as never })).toBe(0);
      // The description task's close came after finishWorld, and its ledger entries are stamped too.
      expect(settledRecords.status_ledger!.some((e) => String(e.key) === `task-finished:${settled.descriptionTaskId}`)).toBe(true);
      const status = await db().collection('world_generation_status').findOne({ _id: settled.worldId as never });
      expect(status?.status).toBe('failed');
      expect(status?.expires_at).toBeUndefined();

      // Before the retention period: nothing goes.
      expect(Object.values(await retention.sweepExpired(new Date(after + KEEP_MS - 5_000))).every((n) => n === 0)).toBe(true);
      // After it: the settled world's records go, the running world's stay, the status and parameters stay.
      const deleted = await retention.sweepExpired(new Date(after + KEEP_MS + 5_000));
      for (const c of EXPIRING_COLLECTIONS) expect(deleted[c.name]).toBe(settledRecords[c.name]!.length);
      const gone = await recordsOf(settled.worldId);
      const kept = await recordsOf(running.worldId);
      for (const c of EXPIRING_COLLECTIONS) {
        expect(gone[c.name]).toEqual([]);
        expect(kept[c.name]!.length).toBe(runningRecords[c.name]!.length);
      }
      expect(await marks.countDocuments({ _id: settled.worldId as never })).toBe(0);
      for (const worldId of [settled.worldId, running.worldId]) {
        expect(await db().collection('world_generation_status').countDocuments({ _id: worldId as never })).toBe(1);
        expect(await db().collection('world_parameters').countDocuments({ _id: worldId as never })).toBe(1);
      }
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'TTL index: expireAfterSeconds 0 on expires_at for MongoDB; FerretDB 1.24 refuses the option (so the worker sweeps)',
    async () => {
      expect(EXPIRES_AT_TTL_INDEX).toEqual({ key: { expires_at: 1 }, name: 'expires_at_ttl', expireAfterSeconds: 0 });
      if (mongo.ferretDb) {
        await expect(db().collection('ttl_probe').createIndex({ expires_at: 1 }, { expireAfterSeconds: 0 })).rejects.toThrow(/expireAfterSeconds.*not implemented/i);
        await ensureRetentionIndexes(db(), { ferretDb: true }); // no TTL index there, so start-up does not fail
        expect((await db().collection('provider_calls').listIndexes().toArray()).map((i) => i.name)).toContain('world_id_1');
      } else {
        await ensureRetentionIndexes(db(), { ferretDb: false });
        for (const c of EXPIRING_COLLECTIONS) {
          const idx = (await db().collection(c.name).listIndexes().toArray()).find((i) => i.name === 'expires_at_ttl');
          expect(idx?.expireAfterSeconds).toBe(0);
        }
      }
    },
    STACK_TIMEOUT_MS,
  );
});
