/**
 * Content safety of generated images: the real images activity in a mock activity context against the real
 * MongoDB-compatible server and the Runware, OpenRouter and service stand-ins over loopback. The Runware stand-in's
 * safety check flags the renders a rule picks (`NSFWContent: true`, the shape Runware answers with); the truth is
 * what the stand-ins received, billed and served.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../../dev/stand-ins/openrouter';
import { startRunwareStandIn, type RunwareStandIn } from '../../dev/stand-ins/runware';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';
import { createActivities } from '../../src/activities';
import type { ImageActivities, LlmActivities, ProgressActivities } from '../../src/activities/contracts';
import type { ActivityDeps } from '../../src/activities/deps';
import { saferPrompt } from '../../src/activities/image-activities';
import { createLlmClient } from '../../src/clients/llm-client';
import { createMediaUploader } from '../../src/clients/media-uploader';
import { createRunwareClient } from '../../src/clients/runware-client';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { loadConfig } from '../../src/config/config';
import { ErrorTypes } from '../../src/domain/error-types';
import { createLogger } from '../../src/logger';
import { connectMongo, createRepositories, ensureAllIndexes, type MongoHandle } from '../../src/repositories';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';

let mongo: MongoHandle;
let llm: OpenRouterStandIn;
let images: RunwareStandIn;
let services: ServiceStandIns;
let clients: ServiceClients;
let deps: ActivityDeps;

type Acts = { llm: LlmActivities; images: ImageActivities; progress: ProgressActivities };
const acts = (over: Partial<ActivityDeps> = {}) => createActivities({ ...deps, ...over }) as unknown as Acts;
const quiet = new DefaultLogger('ERROR');
const run = <A extends unknown[], R>(fn: (...args: A) => Promise<R>, attempt: number, ...args: A) =>
  new MockActivityEnvironment({ attempt }, { logger: quiet }).run(fn as never, ...(args as unknown as never[])) as Promise<R>;

beforeAll(async () => {
  const stack = await getStack();
  [llm, images, services] = await Promise.all([startOpenRouterStandIn(), startRunwareStandIn({ costPerImage: 0.0013 }), startServiceStandIns()]);
  const config = loadConfig({
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: `content_safety_${Date.now()}`,
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
  deps = {
    config,
    repos: createRepositories(mongo.db),
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
  await Promise.all([llm?.close(), images?.close(), services?.close()]);
});

beforeEach(() => {
  llm.reset();
  images.reset();
});

/** A world whose header prompt is written (description and image prompts done); the Runware stand-in untouched. */
async function worldWithHeaderPrompt() {
  const worldId = crypto.randomUUID();
  const a = acts();
  const { descriptionTaskId } = await run(a.progress.startWorld, 1, {
    world_id: worldId,
    world_name: '',
    world_prompt: 'A lighthouse city where the tides keep the calendar.',
    characters_count: 1,
    posts_count: 1,
  });
  await run(a.llm.runLlmStep, 1, { taskId: descriptionTaskId, step: 'world_description' });
  const { worldImageTaskId } = await run(a.progress.planWorldChildren, 1, { taskId: descriptionTaskId });
  await run(a.llm.runLlmStep, 1, { taskId: worldImageTaskId, step: 'world_image_prompts' });
  return { worldId, worldImageTaskId };
}

const mediaOf = (worldId: string) => [...services.state.media.values()].filter((m) => m.worldId === worldId);
const statusOf = (worldId: string) => deps.repos.status.get(worldId);
const renderedUuids = () => images.requests.map((r) => r.status === 200 && r.tasks[0]?.taskUUID).filter(Boolean);

describe('content safety', () => {
  test(
    'flagged once: rendered again with a safer prompt, both renders paid and counted, only the second downloaded and uploaded',
    async () => {
      const { worldId, worldImageTaskId } = await worldWithHeaderPrompt();
      images.flagContent({ times: 1 });

      const { mediaId } = await run(acts().images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' });

      expect(images.requests).toHaveLength(2);
      const [first, second] = images.requests.map((r) => r.tasks[0]);
      // Runware's documented option was asked for on both renders.
      expect(first.safety).toEqual({ checkContent: true });
      expect(second.safety).toEqual({ checkContent: true });
      expect(second.positivePrompt).toBe(saferPrompt(first.positivePrompt));
      expect(second.negativePrompt).toContain('nsfw');
      // The flagged render's bytes were never fetched; the second render's were, and that is what was uploaded.
      expect(images.flagged.size).toBe(1);
      const [flaggedUuid] = [...images.flagged];
      expect(images.downloads).not.toContain(flaggedUuid!);
      expect(images.downloads).toHaveLength(1);
      const media = mediaOf(worldId);
      expect(media.map((m) => m.mediaId)).toEqual([mediaId]);
      expect(media[0]!.bytes?.byteLength).toBeGreaterThan(0);
      expect(media[0]!.confirmed).toBe(true);
      // Both renders are paid for: counted and costed.
      const doc = await statusOf(worldId);
      expect(doc!.api_calls_made_images).toBe(2);
      expect(doc!.image_cost_total).toBeCloseTo(2 * 0.0013, 10);

      // A retry after success replays: nothing more is rendered, counted or uploaded.
      await run(acts().images.renderImage, 2, { taskId: worldImageTaskId, kind: 'world_header' });
      expect(images.requests).toHaveLength(2);
      expect((await statusOf(worldId))!.api_calls_made_images).toBe(2);
      expect(mediaOf(worldId)).toHaveLength(1);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'flagged every time: the image fails non-retryably with the reason, nothing downloaded or uploaded, both renders counted',
    async () => {
      const { worldId, worldImageTaskId } = await worldWithHeaderPrompt();
      images.flagContent({});

      const failure = await run(acts().images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' }).then(
        () => null,
        (err: unknown) => err as { type?: string; nonRetryable?: boolean; message: string },
      );
      expect(failure).not.toBeNull();
      expect(failure!.type).toBe(ErrorTypes.contentFlagged);
      expect(failure!.nonRetryable).toBe(true);
      expect(failure!.message).toMatch(/flagged by the content safety check/);

      expect(images.requests).toHaveLength(2);
      expect(images.flagged.size).toBe(2);
      expect(images.downloads).toEqual([]);
      expect(mediaOf(worldId)).toEqual([]);
      const doc = await statusOf(worldId);
      expect(doc!.api_calls_made_images).toBe(2);
      expect(doc!.image_cost_total).toBeCloseTo(2 * 0.0013, 10);

      // Had Temporal retried anyway, the stored flagged answers are replayed: no third render, still nothing uploaded.
      await expect(run(acts().images.renderImage, 2, { taskId: worldImageTaskId, kind: 'world_header' })).rejects.toThrow(/flagged/);
      expect(images.requests).toHaveLength(2);
      expect(images.downloads).toEqual([]);
      expect(mediaOf(worldId)).toEqual([]);
      expect(renderedUuids()).toHaveLength(2);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'safety off: no check is asked for and an unchecked render is uploaded',
    async () => {
      const { worldId, worldImageTaskId } = await worldWithHeaderPrompt();
      images.flagContent({});
      await run(acts({ contentSafety: false }).images.renderImage, 1, { taskId: worldImageTaskId, kind: 'world_header' });
      expect(images.requests).toHaveLength(1);
      expect(images.requests[0]!.tasks[0].safety).toBeUndefined();
      expect(images.flagged.size).toBe(0);
      expect(mediaOf(worldId)).toHaveLength(1);
    },
    STACK_TIMEOUT_MS,
  );
});
