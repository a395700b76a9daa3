/**
 * The world's cost sweep (settle-costs.ts) skips its scans of `provider_calls` and the ledger when the status
 * document proves nothing is left to settle (`api_calls_costed` = reservations), and still runs in full — and still
 * settles — when it is not so. Real activities in a mock activity context against the real MongoDB-compatible server
 * and the provider stand-ins over loopback; the reads are counted with the driver's command monitoring, and a fault is
 * injected into the real repository through the activities' deps (a decorator that fails one write).
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import type { CommandStartedEvent } from 'mongodb';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../../dev/stand-ins/openrouter';
import { startRunwareStandIn, type RunwareStandIn } from '../../dev/stand-ins/runware';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';
import { createActivities } from '../../src/activities';
import { settleWorldCosts, type SettledCosts } from '../../src/activities/settle-costs';
import type { ImageActivities, LlmActivities, ProgressActivities } from '../../src/activities/contracts';
import type { ActivityDeps } from '../../src/activities/deps';
import { createLlmClient } from '../../src/clients/llm-client';
import { createMediaUploader } from '../../src/clients/media-uploader';
import { createRunwareClient } from '../../src/clients/runware-client';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logger';
import { connectMongo, createRepositories, ensureAllIndexes, type MongoHandle, type Repositories } from '../../src/repositories';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';

let mongo: MongoHandle;
let llmStandIn: OpenRouterStandIn;
let imageStandIn: RunwareStandIn;
let serviceStandIns: ServiceStandIns;
let clients: ServiceClients;
let baseDeps: ActivityDeps;
let repos: Repositories;

type Acts = { llm: LlmActivities; images: ImageActivities; progress: ProgressActivities };
const activitiesWith = (override: Partial<ActivityDeps> = {}) => createActivities({ ...baseDeps, ...override }) as unknown as Acts;
const quiet = new DefaultLogger('ERROR');
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, attempt: number, ...args: A) =>
  new MockActivityEnvironment({ attempt }, { logger: quiet }).run(fn as never, ...(args as unknown as never[])) as Promise<R>;

const sent: string[] = [];
const record = (e: CommandStartedEvent) => sent.push(`${e.commandName} ${String(e.command[e.commandName])}`);
/** The reads of the two large collections the full sweep scans. */
async function sweepReads(fn: () => Promise<unknown>): Promise<string[]> {
  sent.length = 0;
  await fn();
  return sent.filter((c) => c === 'find provider_calls' || c === 'find status_ledger');
}

beforeAll(async () => {
  const stack = await getStack();
  [llmStandIn, imageStandIn, serviceStandIns] = await Promise.all([startOpenRouterStandIn(), startRunwareStandIn(), startServiceStandIns()]);
  const config = loadConfig({
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: `cost_sweep_${Date.now()}`,
    OPENROUTER_API_KEY: 'sk-test',
    RUNWARE_API_KEY: 'rw-test',
    LLM_BASE_URL: llmStandIn.url,
    RUNWARE_BASE_URL: imageStandIn.url,
    CHARACTER_SERVICE_URL: serviceStandIns.url,
    POST_SERVICE_URL: serviceStandIns.url,
    MEDIA_SERVICE_URL: serviceStandIns.url,
    WORLD_SERVICE_URL: serviceStandIns.url,
  });
  mongo = await connectMongo(config.mongo, { monitorCommands: true });
  mongo.client.on('commandStarted', record);
  await ensureAllIndexes(mongo.db);
  repos = createRepositories(mongo.db);
  clients = createServiceClients(config.services);
  baseDeps = {
    config,
    repos,
    log: createLogger('error'),
    services: clients,
    llm: createLlmClient({ baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, timeoutMs: 10_000 }),
    runware: createRunwareClient({ baseUrl: config.images.baseUrl, apiKey: config.images.apiKey, timeoutMs: 10_000 }),
    media: createMediaUploader({ media: clients.media, httpTimeoutMs: 10_000 }),
  };
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  mongo?.client.off('commandStarted', record);
  await clients?.close();
  await mongo?.db.dropDatabase().catch(() => {});
  await mongo?.close();
  await Promise.all([llmStandIn?.close(), imageStandIn?.close(), serviceStandIns?.close()]);
});

beforeEach(() => {
  llmStandIn.reset();
  imageStandIn.reset();
});

/** A world with its description written and its header rendered: one LLM-paid description, prompts, one render. */
async function worldWithPaidCalls() {
  const worldId = crypto.randomUUID();
  const acts = activitiesWith();
  const { descriptionTaskId } = await run(acts.progress.startWorld, 1, {
    world_id: worldId,
    world_name: '',
    world_prompt: 'A lighthouse city where the tides keep the calendar.',
    characters_count: 1,
    posts_count: 1,
  });
  await run(acts.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' });
  const { worldImageTaskId } = await run(acts.progress.planWorldChildren, 1, { taskId: descriptionTaskId });
  await run(acts.llm.runLlmStep, 1, { taskId: worldImageTaskId, step: 'world_image_prompts' });
  return { worldId, worldImageTaskId };
}

/** Failed-then-dropped writes are part of the scenario: a decorator of the real repository, one write failing. */
function failingCostWrite(real: Repositories['status']): Repositories['status'] {
  let left = 1;
  const wrapper = Object.create(real) as Repositories['status'];
  wrapper.applyOnce = async (worldId, key, increments) => {
    if (left > 0 && key.startsWith('cost:')) {
      left--;
      throw new Error('injected fault in applyOnce (before)');
    }
    return real.applyOnce(worldId, key, increments);
  };
  return wrapper;
}

test(
  'every reserved call has its cost applied → the sweep reads neither provider_calls nor the ledger',
  async () => {
    const { worldId, worldImageTaskId } = await worldWithPaidCalls();
    await run(activitiesWith().images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' });
    const doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_LLM).toBe(2);
    expect(doc.api_calls_made_images).toBe(1);
    // Counted in the cost keys' own increments: one per stored answer.
    expect(doc.api_calls_costed).toBe(3);
    expect(await sweepReads(() => settleWorldCosts(baseDeps, worldId))).toEqual([]);

    // A world created before the counter existed (field absent): the full sweep, which finds nothing to do.
    await mongo.db.collection('world_generation_status').updateOne({ _id: worldId as never }, { $unset: { api_calls_costed: '' } });
    let settled: SettledCosts | undefined;
    expect(await sweepReads(async () => (settled = await settleWorldCosts(baseDeps, worldId)))).toContain('find provider_calls');
    expect(settled).toEqual({ applied: 0, recovered: 0, unresolved: 0 });
  },
  STACK_TIMEOUT_MS,
);

test(
  'a stored answer whose cost never landed, and a render whose reply was lost → the full sweep settles both, then the next is skipped',
  async () => {
    const { worldId, worldImageTaskId } = await worldWithPaidCalls();
    // The icon's answer is stored, its cost write fails, and the step is never retried.
    const faulty = activitiesWith({ repos: { ...repos, status: failingCostWrite(repos.status) } });
    await expect(run(faulty.images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_icon' })).rejects.toThrow(/injected fault/);
    // The header's render is made and billed, its reply lost, never retried.
    imageStandIn.faults.push({ dropResponse: true });
    await expect(run(activitiesWith().images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' })).rejects.toThrow();
    expect(imageStandIn.requests).toHaveLength(2);
    const before = await repos.status.require(worldId);
    expect(before.api_calls_made_images).toBe(2);
    expect(before.image_cost_total).toBe(0);
    expect(before.api_calls_costed).toBe(2); // the two LLM answers

    let settled: SettledCosts | undefined;
    expect(await sweepReads(async () => (settled = await settleWorldCosts(baseDeps, worldId)))).toContain('find provider_calls');
    expect(settled).toEqual({ applied: 1, recovered: 1, unresolved: 0 });
    const after = await repos.status.require(worldId);
    expect(after.image_cost_total).toBeCloseTo(imageStandIn.requests.reduce((a, r) => a + (r.cost ?? 0), 0), 12);
    expect(after.api_calls_costed).toBe(4);
    expect(await sweepReads(() => settleWorldCosts(baseDeps, worldId))).toEqual([]);
  },
  STACK_TIMEOUT_MS,
);
