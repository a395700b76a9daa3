/**
 * Money and call counts under faults in the windows around a paid provider request. Real activities in a mock
 * activity context against the real MongoDB-compatible server and the provider stand-ins over loopback; a fault is
 * injected into the real repository (or client) through the activities' injected deps — a decorator that fails one
 * write, never a mock of the database — and the retried attempt must neither pay again nor count twice.
 * The truth is what the stand-ins received and billed.
 */
import { afterAll, beforeAll, beforeEach, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createServer, type AddressInfo } from 'node:net';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../../dev/stand-ins/openrouter';
import { startRunwareStandIn, type RunwareStandIn } from '../../dev/stand-ins/runware';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';
import { createActivities } from '../../src/activities';
import { settleWorldCosts } from '../../src/activities/settle-costs';
import type { ImageActivities, LlmActivities, ProgressActivities } from '../../src/activities/contracts';
import type { ActivityDeps } from '../../src/activities/deps';
import { createLlmClient, type LlmClient } from '../../src/clients/llm-client';
import { createMediaUploader } from '../../src/clients/media-uploader';
import { createRunwareClient, type RunwareClient } from '../../src/clients/runware-client';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logger';
import { LLM_SCHEMAS } from '../../src/schemas/llm';
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

/** Failed attempts are the point of these tests: the SDK's "Activity failed" warnings would only be noise. */
const quiet = new DefaultLogger('ERROR');

/** Runs an activity as attempt `attempt` would. */
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, attempt: number, ...args: A) =>
  new MockActivityEnvironment({ attempt }, { logger: quiet }).run(fn as never, ...(args as unknown as never[])) as Promise<R>;

/**
 * The real object with one method failing for its next `times` matching calls: `before` fails instead of
 * writing, `after` writes and then fails (the write landed, the caller never heard).
 */
function failing<T extends object, K extends keyof T>(
  real: T,
  method: K,
  opts: { times: number; when: 'before' | 'after'; match?: (...args: unknown[]) => boolean },
): T & { failures: number } {
  let left = opts.times;
  const wrapper = Object.create(real) as T & { failures: number };
  wrapper.failures = 0;
  const original = (real[method] as (...a: unknown[]) => Promise<unknown>).bind(real);
  (wrapper as Record<K, unknown>)[method] = async (...args: unknown[]) => {
    const hit = left > 0 && (opts.match?.(...args) ?? true);
    if (!hit) return original(...args);
    left--;
    wrapper.failures++;
    if (opts.when === 'after') await original(...args);
    throw new Error(`injected fault in ${String(method)} (${opts.when})`);
  };
  return wrapper;
}

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

const sum = (xs: (number | null)[]) => xs.reduce<number>((a, b) => a + (b ?? 0), 0);

beforeAll(async () => {
  const stack = await getStack();
  [llmStandIn, imageStandIn, serviceStandIns] = await Promise.all([startOpenRouterStandIn(), startRunwareStandIn(), startServiceStandIns()]);
  const config = loadConfig({
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: `paid_requests_${Date.now()}`,
    OPENROUTER_API_KEY: 'sk-test',
    RUNWARE_API_KEY: 'rw-test',
    LLM_BASE_URL: llmStandIn.url,
    RUNWARE_BASE_URL: imageStandIn.url,
    CHARACTER_SERVICE_URL: serviceStandIns.url,
    POST_SERVICE_URL: serviceStandIns.url,
    MEDIA_SERVICE_URL: serviceStandIns.url,
    WORLD_SERVICE_URL: serviceStandIns.url,
  });
  mongo = await connectMongo(config.mongo);
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
  await clients?.close();
  await mongo?.db.dropDatabase().catch(() => {});
  await mongo?.close();
  await Promise.all([llmStandIn?.close(), imageStandIn?.close(), serviceStandIns?.close()]);
});

beforeEach(() => {
  llmStandIn.reset();
  imageStandIn.reset();
});

async function newWorld(charactersCount = 1) {
  const worldId = crypto.randomUUID();
  const { descriptionTaskId } = await run(activitiesWith().progress.startWorld, 1, {
    world_id: worldId,
    world_name: '',
    world_prompt: 'A lighthouse city where the tides keep the calendar.',
    characters_count: charactersCount,
    posts_count: 1,
  });
  return { worldId, descriptionTaskId };
}

/** A world whose header prompt is ready: description and image prompts done, the stand-ins reset afterwards. */
async function worldWithImagePrompt() {
  const { worldId, descriptionTaskId } = await newWorld();
  const acts = activitiesWith();
  await run(acts.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' });
  const { worldImageTaskId } = await run(acts.progress.planWorldChildren, 1, { taskId: descriptionTaskId });
  await run(acts.llm.runLlmStep, 1, { taskId: worldImageTaskId, step: 'world_image_prompts' });
  return { worldId, worldImageTaskId };
}

/** The world's counters equal what the LLM stand-in received and billed (only requests since the last reset). */
async function expectLlmBooksMatch(worldId: string, earlier = { calls: 0, cost: 0, prompt: 0, completion: 0 }) {
  const doc = await repos.status.require(worldId);
  const answered = llmStandIn.requests.filter((r) => r.status === 200);
  expect(doc.api_calls_made_LLM).toBe(earlier.calls + llmStandIn.requests.length);
  expect(doc.llm_cost_total).toBeCloseTo(earlier.cost + sum(answered.map((r) => r.cost)), 12);
  expect(doc.llm_prompt_tokens).toBe(earlier.prompt + sum(answered.map((r) => r.promptTokens)));
  expect(doc.llm_completion_tokens).toBe(earlier.completion + sum(answered.map((r) => r.completionTokens)));
}

async function booksOf(worldId: string) {
  const d = await repos.status.require(worldId);
  return {
    calls: d.api_calls_made_LLM,
    cost: d.llm_cost_total,
    prompt: d.llm_prompt_tokens,
    completion: d.llm_completion_tokens,
    images: d.api_calls_made_images,
    imageCost: d.image_cost_total,
  };
}

test(
  'LLM: the cost write fails after a paid answer → the retry sends nothing and counts the cost once',
  async () => {
    const { worldId, descriptionTaskId } = await newWorld();
    const status = failing(repos.status, 'applyOnce', { times: 1, when: 'before', match: (_w, key) => String(key).startsWith('cost:') });
    const faulty = activitiesWith({ repos: { ...repos, status } });

    await expect(run(faulty.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' })).rejects.toThrow(/injected fault/);
    expect(status.failures).toBe(1);
    expect(llmStandIn.requests).toHaveLength(1);
    await run(faulty.llm.runLlmStep, 2, { taskId: descriptionTaskId, step: 'world_description' });

    expect(llmStandIn.requests).toHaveLength(1);
    await expectLlmBooksMatch(worldId);
  },
  STACK_TIMEOUT_MS,
);

test(
  'LLM: the answer store fails once → retried in-process, no second payment; a crash after the answer is stored is replayed',
  async () => {
    const { worldId, descriptionTaskId } = await newWorld();
    const providerCalls = failing(repos.providerCalls, 'storeResult', { times: 1, when: 'before' });
    await run(activitiesWith({ repos: { ...repos, providerCalls } }).llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' });
    expect(providerCalls.failures).toBe(1);
    expect(llmStandIn.requests).toHaveLength(1);
    await expectLlmBooksMatch(worldId);

    // The answer landed but the attempt never heard so (every in-process try of attempt 1 fails after writing) and
    // died before counting it: the retry replays it.
    const { worldImageTaskId } = await run(activitiesWith().progress.planWorldChildren, 1, { taskId: descriptionTaskId });
    const before = await booksOf(worldId);
    llmStandIn.reset();
    const crashing = failing(repos.providerCalls, 'storeResult', { times: 4, when: 'after' });
    const acts = activitiesWith({ repos: { ...repos, providerCalls: crashing } });
    await expect(run(acts.llm.runLlmStep, 1, { taskId: worldImageTaskId, step: 'world_image_prompts' })).rejects.toThrow(/injected fault/);
    await run(acts.llm.runLlmStep, 2, { taskId: worldImageTaskId, step: 'world_image_prompts' });
    expect(llmStandIn.requests).toHaveLength(1);
    await expectLlmBooksMatch(worldId, before);
  },
  STACK_TIMEOUT_MS,
);

test(
  'LLM batch: a step that fails in its third round re-sends only the third round',
  async () => {
    const { worldId, descriptionTaskId } = await newWorld(3);
    const acts = activitiesWith();
    await run(acts.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' });
    const { characterBatchTaskId } = await run(acts.progress.planWorldChildren, 1, { taskId: descriptionTaskId });
    const before = await booksOf(worldId);
    llmStandIn.reset();

    // Round 1 asks for 3 and gets 1; round 2 asks for 2 and gets 1; round 3 fails with a 500.
    const match = { schemaName: LLM_SCHEMAS.character_batch.name };
    llmStandIn.faults.push({ fewerItems: 2 }, 1, match);
    llmStandIn.faults.push({ fewerItems: 1 }, 1, match);
    llmStandIn.faults.push({ status: 500 }, 1, match);
    await expect(run(acts.llm.runLlmStep, 1, { taskId: characterBatchTaskId!, step: 'character_batch' })).rejects.toThrow();
    expect(llmStandIn.requests).toHaveLength(3);

    const { items } = await run(acts.llm.runLlmStep, 2, { taskId: characterBatchTaskId!, step: 'character_batch' });
    expect(items).toBe(3);
    expect(llmStandIn.requests).toHaveLength(4); // only round 3 again
    // Round 3 of the retry asked the same question as the failed one: the conversation was replayed, not redone.
    expect(llmStandIn.requests[3]!.body.messages).toEqual(llmStandIn.requests[2]!.body.messages);
    await expectLlmBooksMatch(worldId, before);
  },
  STACK_TIMEOUT_MS,
);

test(
  'api_calls_made_LLM equals the requests received: crash between reserve and send, and crash after send',
  async () => {
    // Reserved, then the process died before the request left: the retry reuses the reservation.
    const { worldId, descriptionTaskId } = await newWorld();
    const status = failing(repos.status, 'reserveCall', { times: 1, when: 'after' });
    const acts = activitiesWith({ repos: { ...repos, status } });
    await expect(run(acts.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' })).rejects.toThrow(/injected fault/);
    expect(llmStandIn.requests).toHaveLength(0);
    expect((await repos.status.require(worldId)).api_calls_made_LLM).toBe(1);
    await run(acts.llm.runLlmStep, 2, { taskId: descriptionTaskId, step: 'world_description' });
    expect(llmStandIn.requests).toHaveLength(1);
    await expectLlmBooksMatch(worldId);

    // The request was received and billed, its reply lost: the retry is a second request and counts as one.
    const { worldImageTaskId } = await run(acts.progress.planWorldChildren, 1, { taskId: descriptionTaskId });
    const before = await booksOf(worldId);
    llmStandIn.reset();
    llmStandIn.faults.push({ dropResponse: true });
    await expect(run(acts.llm.runLlmStep, 1, { taskId: worldImageTaskId, step: 'world_image_prompts' })).rejects.toThrow();
    await run(acts.llm.runLlmStep, 2, { taskId: worldImageTaskId, step: 'world_image_prompts' });
    expect(llmStandIn.requests).toHaveLength(2);
    const doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_LLM).toBe(before.calls + 2);
    // The lost reply's charge cannot be known (OpenRouter has no lookup by request): only the answer we received is counted.
    expect(doc.llm_cost_total).toBeCloseTo(before.cost + llmStandIn.requests[1]!.cost!, 12);
  },
  STACK_TIMEOUT_MS,
);

test(
  'the sent entry is durable before the provider receives the request (a kill in flight can never leave it uncounted)',
  async () => {
    const { worldId, descriptionTaskId } = await newWorld();
    // A slow `sent` write: the request must wait for it. Written while the answer was awaited instead (the earlier
    // design), the request arrived first, and a worker killed then left it uncounted (seen in the SIGKILL drill).
    const received: number[] = [];
    const slowCalls = Object.create(repos.providerCalls) as Repositories['providerCalls'];
    slowCalls.markSent = async (...args: Parameters<Repositories['providerCalls']['markSent']>) => {
      await Bun.sleep(300);
      received.push(llmStandIn.requests.length);
      return repos.providerCalls.markSent(...args);
    };
    const acts = activitiesWith({ repos: { ...repos, providerCalls: slowCalls } });
    await run(acts.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' });
    expect(received).toEqual([0]);
    expect(llmStandIn.requests).toHaveLength(1);
    await expectLlmBooksMatch(worldId);
  },
  STACK_TIMEOUT_MS,
);

test(
  'api_calls_made_LLM: a refused connection never arrived, so the retry reuses its reservation',
  async () => {
    const { worldId, descriptionTaskId } = await newWorld();
    // The first request goes to a port nobody listens on (the provider's address briefly unreachable).
    const refusing = createLlmClient({ baseUrl: `http://127.0.0.1:${await closedPort()}/api/v1`, apiKey: 'sk-test', timeoutMs: 5_000 });
    let calls = 0;
    const llm: LlmClient = { chat: (req) => (calls++ === 0 ? refusing : baseDeps.llm).chat(req) };
    const acts = activitiesWith({ llm });
    await expect(run(acts.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' })).rejects.toThrow();
    expect((await repos.status.require(worldId)).api_calls_made_LLM).toBe(1);
    // The reused reservation's new try arrives and fails: that one did leave, so the next try is a new reservation.
    llmStandIn.faults.push({ status: 500 });
    await expect(run(acts.llm.runLlmStep, 2, { taskId: descriptionTaskId, step: 'world_description' })).rejects.toThrow();
    expect((await repos.status.require(worldId)).api_calls_made_LLM).toBe(1);
    await run(acts.llm.runLlmStep, 3, { taskId: descriptionTaskId, step: 'world_description' });
    expect(calls).toBe(3);
    expect(llmStandIn.requests).toHaveLength(2);
    await expectLlmBooksMatch(worldId);
  },
  STACK_TIMEOUT_MS,
);

test(
  'image: the render store fails after Runware rendered → the retry finds it with getResponse, no second render, cost once',
  async () => {
    const { worldId, worldImageTaskId } = await worldWithImagePrompt();
    // Every in-process try of attempt 1 fails (a database that is gone for a few seconds).
    const providerCalls = failing(repos.providerCalls, 'storeResult', { times: 4, when: 'before' });
    const acts = activitiesWith({ repos: { ...repos, providerCalls } });
    await expect(run(acts.images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' })).rejects.toThrow(/injected fault/);
    expect(imageStandIn.requests).toHaveLength(1);

    const { mediaId } = await run(acts.images.renderImage, 2, { taskId: worldImageTaskId, kind: 'world_header' });
    expect(mediaId).not.toBe('');
    expect(imageStandIn.requests).toHaveLength(1);
    expect(imageStandIn.lookups.map((l) => l.answer)).toEqual(['success']);
    expect(imageStandIn.lookups[0]!.taskUUID).toBe(imageStandIn.requests[0]!.tasks[0].taskUUID);
    const doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_images).toBe(1);
    expect(doc.image_cost_total).toBeCloseTo(imageStandIn.requests[0]!.cost!, 12);
  },
  STACK_TIMEOUT_MS,
);

test(
  'image: the cost write fails after the render is stored → the retry replays it without asking Runware, cost once',
  async () => {
    const { worldId, worldImageTaskId } = await worldWithImagePrompt();
    const status = failing(repos.status, 'applyOnce', { times: 1, when: 'before', match: (_w, key) => String(key).startsWith('cost:image:') });
    const acts = activitiesWith({ repos: { ...repos, status } });
    await expect(run(acts.images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_icon' })).rejects.toThrow(/injected fault/);
    expect((await repos.status.require(worldId)).image_cost_total).toBe(0);
    await run(acts.images.renderImage, 2, { taskId: worldImageTaskId, kind: 'world_icon' });
    expect(imageStandIn.requests).toHaveLength(1);
    expect(imageStandIn.lookups).toHaveLength(0);
    const doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_images).toBe(1);
    expect(doc.image_cost_total).toBeCloseTo(imageStandIn.requests[0]!.cost!, 12);
  },
  STACK_TIMEOUT_MS,
);

test(
  'image: the presign record write fails for a while (a database outage) → retried in-process, one media row, not an orphan',
  async () => {
    const { worldId, worldImageTaskId } = await worldWithImagePrompt();
    const mediaOf = () => [...serviceStandIns.state.media.values()].filter((m) => m.worldId === worldId);
    // Three failed writes (~2 s): media-service already created the row and has no look-up but by its id.
    const sideEffects = failing(repos.sideEffects, 'remember', { times: 3, when: 'before', match: (key) => String(key).endsWith(':presign') });
    const acts = activitiesWith({ repos: { ...repos, sideEffects } });
    const { mediaId } = await run(acts.images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' });
    expect(sideEffects.failures).toBe(3);
    expect(mediaOf().map((m) => [m.mediaId, m.confirmed])).toEqual([[mediaId, true]]);
  },
  STACK_TIMEOUT_MS,
);

test(
  'image: Runware task UUIDs are fresh per attempt and recorded before the request; a lost reply is recovered',
  async () => {
    const { worldId, worldImageTaskId } = await worldWithImagePrompt();
    const position = `image:${worldImageTaskId}:world_header:q0`;
    const recordedBeforeSend: boolean[] = [];
    const runware: RunwareClient = {
      getResponse: (uuid, signal) => baseDeps.runware.getResponse(uuid, signal),
      async generateImage(req) {
        const state = await repos.providerCalls.load(position);
        recordedBeforeSend.push(state.taskUuids.some((t) => t.uuid === req.taskUUID));
        return baseDeps.runware.generateImage(req);
      },
    };
    const acts = activitiesWith({ runware });

    imageStandIn.faults.push({ status: 500 });
    await expect(run(acts.images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' })).rejects.toThrow();
    await run(acts.images.renderImage, 2, { taskId: worldImageTaskId, kind: 'world_header' });

    const uuids = imageStandIn.requests.map((r) => r.tasks[0].taskUUID as string);
    expect(uuids).toHaveLength(2);
    expect(new Set(uuids).size).toBe(2);
    expect(recordedBeforeSend).toEqual([true, true]);
    // The failed task was asked about before paying again, and answered as failed.
    expect(imageStandIn.lookups.map((l) => [l.taskUUID, l.answer])).toEqual([[uuids[0]!, 'error']]);
    let doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_images).toBe(2); // both requests reached Runware
    expect(doc.image_cost_total).toBeCloseTo(sum(imageStandIn.requests.map((r) => r.cost)), 12);

    // Rendered and billed, reply lost: recovered by getResponse instead of a second render.
    imageStandIn.reset();
    imageStandIn.faults.push({ dropResponse: true });
    await expect(run(acts.images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_icon' })).rejects.toThrow();
    await run(acts.images.renderImage, 2, { taskId: worldImageTaskId, kind: 'world_icon' });
    expect(imageStandIn.requests).toHaveLength(1);
    expect(imageStandIn.lookups.map((l) => l.answer)).toEqual(['success']);
    doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_images).toBe(3);
    expect(doc.image_cost_total).toBeCloseTo(0.0013 * 2, 12);
  },
  STACK_TIMEOUT_MS,
);

test(
  'api_calls_made_images: a crash between reserve and send reuses the reservation',
  async () => {
    const { worldId, worldImageTaskId } = await worldWithImagePrompt();
    const status = failing(repos.status, 'reserveCall', { times: 1, when: 'after' });
    const acts = activitiesWith({ repos: { ...repos, status } });
    await expect(run(acts.images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' })).rejects.toThrow(/injected fault/);
    expect(imageStandIn.requests).toHaveLength(0);
    await run(acts.images.renderImage, 2, { taskId: worldImageTaskId, kind: 'world_header' });
    expect(imageStandIn.requests).toHaveLength(1);
    const doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_images).toBe(1);
    expect(doc.image_cost_total).toBeCloseTo(imageStandIn.requests[0]!.cost!, 12);
  },
  STACK_TIMEOUT_MS,
);

test(
  'the world cost sweep counts what attempts that were never retried paid for, once',
  async () => {
    // An LLM answer stored, its cost write failed, and the step was never retried (say, the world was cancelled).
    const llmWorld = await newWorld();
    const status = failing(repos.status, 'applyOnce', { times: 1, when: 'before', match: (_w, key) => String(key).startsWith('cost:llm:') });
    await expect(
      run(activitiesWith({ repos: { ...repos, status } }).llm.runLlmStep, 1, { taskId: llmWorld.descriptionTaskId, step: 'world_description' }),
    ).rejects.toThrow(/injected fault/);
    expect((await repos.status.require(llmWorld.worldId)).llm_cost_total).toBe(0);
    expect(await settleWorldCosts(baseDeps, llmWorld.worldId)).toEqual({ applied: 1, recovered: 0, unresolved: 0 });
    await expectLlmBooksMatch(llmWorld.worldId);
    const llmBooks = await booksOf(llmWorld.worldId);

    // A render made and billed whose reply was lost, never retried.
    const { worldId, worldImageTaskId } = await worldWithImagePrompt();
    imageStandIn.faults.push({ dropResponse: true });
    await expect(run(activitiesWith().images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_icon' })).rejects.toThrow();
    expect((await repos.status.require(worldId)).image_cost_total).toBe(0);
    expect(await settleWorldCosts(baseDeps, worldId)).toEqual({ applied: 0, recovered: 1, unresolved: 0 });
    const doc = await repos.status.require(worldId);
    expect(doc.api_calls_made_images).toBe(1);
    expect(doc.image_cost_total).toBeCloseTo(imageStandIn.requests[0]!.cost!, 12);

    // Again: nothing changes.
    const books = await booksOf(worldId);
    expect(await settleWorldCosts(baseDeps, worldId)).toEqual({ applied: 0, recovered: 0, unresolved: 0 });
    expect(await settleWorldCosts(baseDeps, llmWorld.worldId)).toEqual({ applied: 0, recovered: 0, unresolved: 0 });
    expect(await booksOf(worldId)).toEqual(books);
    expect(await booksOf(llmWorld.worldId)).toEqual(llmBooks);
  },
  STACK_TIMEOUT_MS,
);

// ------------------------------------------------------------------------------------------------ budgets

/** Activities whose configuration prices the stand-in's model (the budget reservation needs a price). */
const pricedActivities = (override: Partial<ActivityDeps> = {}) => {
  const config = baseDeps.config;
  const prices = Object.fromEntries([...new Set(Object.values(config.llm.models))].map((m) => [m, { inputPerMillion: 0.3, outputPerMillion: 2.5 }]));
  return activitiesWith({ config: { ...config, spend: { ...config.spend, llmPrices: prices } }, ...override });
};

async function budgetWorld(budgetUsd: number) {
  const worldId = crypto.randomUUID();
  const { descriptionTaskId } = await run(pricedActivities().progress.startWorld, 1, {
    world_id: worldId,
    world_name: '',
    world_prompt: 'A lighthouse city where the tides keep the calendar.',
    characters_count: 1,
    posts_count: 1,
    budget_usd: budgetUsd,
  });
  return { worldId, descriptionTaskId };
}

const budgetEntries = async (worldId: string) =>
  (await mongo.db.collection('status_ledger').find({ world_id: worldId, applied: true }).toArray()).map((d) => ({ key: String(d.key), increments: d.increments as Record<string, number> }));

test(
  'budget: a call whose expected cost does not fit is never sent; the world records "budget of $X reached"',
  async () => {
    // world_description reserves its 4,096 output tokens at $2.5/M ≈ $0.0102 before anything leaves.
    const { worldId, descriptionTaskId } = await budgetWorld(0.005);
    const err = await run(pricedActivities().llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' }).catch((e: unknown) => e);
    expect(err).toMatchObject({ nonRetryable: true, type: 'CallLimitReached' });
    expect(String((err as Error).message)).toContain('budget of $0.005 reached');
    expect(llmStandIn.requests).toHaveLength(0);
    const doc = await repos.status.require(worldId);
    expect([doc.error, doc.api_calls_made_LLM, doc.budget_committed_usd]).toEqual(['budget of $0.005 reached', 0, 0]);
  },
  STACK_TIMEOUT_MS,
);

test(
  'budget: held once per send under a crash and a retry, released for a refused (429) send, settled to the real cost',
  async () => {
    const { worldId, descriptionTaskId } = await budgetWorld(1);
    // Attempt 1 gets a 429 (nothing billed: its hold is released); attempt 2 is paid, then dies before counting the
    // cost; attempt 3 replays the stored answer and settles the hold to what the stand-in billed.
    llmStandIn.faults.push({ status: 429 });
    await expect(run(pricedActivities().llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' })).rejects.toThrow();
    const released = await repos.status.require(worldId);
    expect(released.budget_committed_usd).toBeCloseTo(0, 12);
    const status = failing(repos.status, 'applyOnce', { times: 1, when: 'before', match: (_w, key) => String(key).startsWith('cost:') });
    await expect(run(pricedActivities({ repos: { ...repos, status } }).llm.runLlmStep, 2, { taskId: descriptionTaskId, step: 'world_description' })).rejects.toThrow(/injected fault/);
    const held = await repos.status.require(worldId);
    expect(held.budget_committed_usd).toBeGreaterThan(0.01); // the paid send's worst case is still held
    await run(pricedActivities().llm.runLlmStep, 3, { taskId: descriptionTaskId, step: 'world_description' });

    expect(llmStandIn.requests.map((r) => r.status)).toEqual([429, 200]);
    const doc = await repos.status.require(worldId);
    expect(doc.llm_cost_total).toBeCloseTo(llmStandIn.requests[1]!.cost!, 12);
    expect(doc.budget_committed_usd).toBeCloseTo(doc.llm_cost_total, 12);
    // One reservation per send (s0 refused, s1 paid), one release, one settlement — whatever the attempts.
    const entries = (await budgetEntries(worldId)).filter((e) => 'budget_committed_usd' in e.increments).map((e) => e.key.replace(/llm:.*:world_description:/, ''));
    expect(entries.sort()).toEqual(['budget-release:q0:r0:s0', 'cost:q0:r0:s1', 'q0:r0:s0', 'q0:r0:s1'].sort());
  },
  STACK_TIMEOUT_MS,
);
