/**
 * Activities run at least once: Temporal re-runs one whose completion was lost. These tests run the
 * real activities twice in a mock activity context (real MongoDB-compatible server, real clients,
 * stand-ins over loopback) and check that the second run spends nothing and creates nothing.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../../dev/stand-ins/openrouter';
import { startRunwareStandIn, type RunwareStandIn } from '../../dev/stand-ins/runware';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';
import { createActivities } from '../../src/activities';
import type { ImageActivities, LlmActivities, ProgressActivities, ServiceActivities } from '../../src/activities/contracts';
import { createLlmClient } from '../../src/clients/llm-client';
import { createMediaUploader } from '../../src/clients/media-uploader';
import { createRunwareClient } from '../../src/clients/runware-client';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logger';
import { connectMongo, createRepositories, ensureAllIndexes, type MongoHandle } from '../../src/repositories';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';

let mongo: MongoHandle;
let llmStandIn: OpenRouterStandIn;
let imageStandIn: RunwareStandIn;
let serviceStandIns: ServiceStandIns;
let clients: ServiceClients;
let acts: { llm: LlmActivities; images: ImageActivities; progress: ProgressActivities; services: ServiceActivities };
let repos: ReturnType<typeof createRepositories>;

/** Runs an activity as attempt `attempt` would. */
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, attempt: number, ...args: A) =>
  new MockActivityEnvironment({ attempt }).run(fn as never, ...(args as unknown as never[])) as Promise<R>;

beforeAll(async () => {
  const stack = await getStack();
  [llmStandIn, imageStandIn, serviceStandIns] = await Promise.all([startOpenRouterStandIn(), startRunwareStandIn(), startServiceStandIns()]);
  const config = loadConfig({
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: `retried_steps_${Date.now()}`,
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
  acts = createActivities({
    config,
    repos,
    log: createLogger('error'),
    services: clients,
    llm: createLlmClient({ baseUrl: config.llm.baseUrl, apiKey: config.llm.apiKey, timeoutMs: 10_000 }),
    runware: createRunwareClient({ baseUrl: config.images.baseUrl, apiKey: config.images.apiKey, timeoutMs: 10_000 }),
    media: createMediaUploader({ media: clients.media, httpTimeoutMs: 10_000 }),
  }) as unknown as typeof acts;
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await clients?.close();
  await mongo?.db.dropDatabase().catch(() => {});
  await mongo?.close();
  await Promise.all([llmStandIn?.close(), imageStandIn?.close(), serviceStandIns?.close()]);
});

test(
  'a re-run LLM step, character creation and avatar render spend nothing and create nothing twice',
  async () => {
    const worldId = crypto.randomUUID();
    const { descriptionTaskId } = await run(acts.progress.startWorld, 1, {
      world_id: worldId,
      world_name: '',
      world_prompt: 'An orbital monastery that brews tea from comet ice.',
      characters_count: 1,
      posts_count: 1,
    });

    await run(acts.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' });
    await run(acts.llm.runLlmStep, 2, { taskId: descriptionTaskId, step: 'world_description' });
    expect(llmStandIn.requests).toHaveLength(1);

    const { characterBatchTaskId } = await run(acts.progress.planWorldChildren, 1, { taskId: descriptionTaskId });
    await run(acts.llm.runLlmStep, 1, { taskId: characterBatchTaskId!, step: 'character_batch' });
    const { characterTaskIds } = await run(acts.progress.planCharacterBatchChildren, 1, { taskId: characterBatchTaskId! });
    // Planning twice finds the same tasks instead of creating new ones.
    expect((await run(acts.progress.planCharacterBatchChildren, 2, { taskId: characterBatchTaskId! })).characterTaskIds).toEqual(characterTaskIds);
    const characterTask = characterTaskIds[0]!;
    await run(acts.llm.runLlmStep, 1, { taskId: characterTask, step: 'character_detail' });

    const first = await run(acts.services.createCharacter, 1, { taskId: characterTask });
    const second = await run(acts.services.createCharacter, 2, { taskId: characterTask });
    expect(second.characterId).toBe(first.characterId);
    expect([...serviceStandIns.state.characters.values()].filter((c) => c.worldId === worldId)).toHaveLength(1);

    const { avatarTaskId } = await run(acts.progress.planCharacterChildren, 1, { taskId: characterTask, characterId: first.characterId });
    await run(acts.llm.runLlmStep, 1, { taskId: avatarTaskId, step: 'avatar_prompt' });
    const imagesBefore = imageStandIn.requests.length;
    const avatar = await run(acts.images.renderImage, 1, { taskId: avatarTaskId, kind: 'character_avatar' });
    const again = await run(acts.images.renderImage, 2, { taskId: avatarTaskId, kind: 'character_avatar' });
    expect(again.mediaId).toBe(avatar.mediaId);
    expect(imageStandIn.requests.length - imagesBefore).toBe(1);
    expect([...serviceStandIns.state.media.values()].filter((m) => m.worldId === worldId)).toHaveLength(1);

    // Counters say exactly what the providers saw.
    const status = await repos.status.get(worldId);
    expect(status?.api_calls_made_LLM).toBe(llmStandIn.requests.length);
    expect(status?.api_calls_made_images).toBe(1);
    expect(status?.tasks_total).toBe(6); // description, world image, batch, character, avatar, post batch — none twice
  },
  STACK_TIMEOUT_MS,
);
