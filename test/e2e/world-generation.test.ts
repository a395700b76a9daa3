/**
 * The whole pipeline, end to end: real Temporal dev server, real MongoDB-compatible server, the
 * production worker build running under Node 24, and stand-ins for OpenRouter, Runware and the
 * four Generia services. The root workflow is started exactly as world-service starts it.
 *
 * Scenarios run one after another against one worker: the stand-ins' fault queues are global.
 */
import { slowTest } from '../support/tiers';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
// World ids are what world-service sends: lower-case UUIDs.
import { randomUUID as newWorldId } from 'node:crypto';
import { WorkflowFailedError } from '@temporalio/client';
import { MediaType } from '../../src/gen/media/media_pb';
import { Worker } from '@temporalio/worker';
import { fetchHistories, measurePayloads, worldWorkflowIds } from '../support/histories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, TEST_SECRETS, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;

const world = (overrides: Record<string, unknown> = {}) => ({
  world_id: newWorldId(),
  world_name: 'Saltglass Reach',
  world_prompt: 'A desert of glass dunes where caravans trade in bottled storms.',
  characters_count: 1,
  posts_count: 1,
  ...overrides,
});

const charactersOf = (worldId: string) => [...h.services.state.characters.values()].filter((c) => c.worldId === worldId);
const postsOf = (worldId: string) => [...h.services.state.posts.values()].filter((p) => p.worldId === worldId);
const mediaOf = (worldId: string) => [...h.services.state.media.values()].filter((m) => m.worldId === worldId);

beforeAll(async () => {
  h = await startWorldHarness();
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

beforeEach(() => {
  h.llm.reset();
  h.images.reset();
  h.services.faults.clear();
});

describe('a world of 3 characters and 10 posts, started as world-service starts it', () => {
  test(
    'completes truthfully: every stage, exact counters, real costs, small payloads',
    async () => {
      expect((await fetch(h.healthUrl)).status).toBe(200);
      const input = world({ characters_count: 3, posts_count: 10, unknown_extra_key: 'tolerated' });
      const started = Date.now();
      const root = await h.startWorld(input);
      const rootResult = await root.result();
      const rootSeconds = (Date.now() - started) / 1000;
      expect(rootResult.success).toBe(true);
      expect(rootResult.data.child_workflow_id).toBe(`generate-world-description-${input.world_id}:world-description`);
      expect(rootSeconds).toBeLessThan(15);

      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');
      expect(status.stages.map((s: any) => [s.name, s.status])).toEqual([
        ['initializing', 'completed'],
        ['world_description', 'completed'],
        ['world_image', 'completed'],
        ['characters', 'completed'],
        ['posts', 'completed'],
        ['finishing', 'completed'],
      ]);
      expect(status.users_created).toBe(3);
      expect(status.posts_created).toBe(10);
      expect(status.users_predicted).toBe(3);
      expect(status.posts_predicted).toBe(10);
      expect(status.tasks_failed).toBe(0);
      expect(status.tasks_completed).toBe(status.tasks_total);
      expect(status.error ?? null).toBeNull();

      // The services hold exactly what was asked for, and nothing else.
      const characters = charactersOf(input.world_id);
      expect(characters).toHaveLength(3);
      const media = mediaOf(input.world_id);
      for (const c of characters) {
        expect(c.avatarMediaId).toBeTruthy();
        const avatar = h.services.state.media.get(c.avatarMediaId!);
        expect(avatar?.confirmed).toBe(true);
        expect(avatar?.mediaType).toBe(MediaType.CHARACTER_AVATAR);
        expect(JSON.parse(c.meta!).display_name).toBe(c.displayName);
      }
      const posts = postsOf(input.world_id);
      expect(posts).toHaveLength(10);
      for (const p of posts) {
        const image = h.services.state.media.get(p.mediaId);
        expect(image?.confirmed).toBe(true);
        expect(image?.mediaType).toBe(MediaType.POST_IMAGE);
        expect(image?.uploadedContentType).toBe('image/jpeg');
        expect(characters.map((c) => c.id)).toContain(p.characterId);
        expect(p.caption.length).toBeGreaterThan(0);
      }
      expect(media).toHaveLength(2 + 3 + 10);
      expect(media.every((m) => m.confirmed)).toBe(true);

      const w = h.services.state.worlds.get(input.world_id);
      expect(w?.name).toBe('Saltglass Reach');
      expect(w?.usersCount).toBe(3);
      expect(w?.postsCount).toBe(10);
      expect(Object.keys(JSON.parse(w!.params!))).toEqual(expect.arrayContaining(['theme', 'description', 'description_short', 'history', 'culture']));
      expect(h.services.state.media.get(w!.imageUuid!)?.mediaType).toBe(MediaType.WORLD_HEADER);
      expect(h.services.state.media.get(w!.iconUuid!)?.mediaType).toBe(MediaType.WORLD_ICON);

      // Counters and costs equal what the providers actually saw and charged.
      const llmCost = h.llm.requests.reduce((sum, r) => sum + (r.cost ?? 0), 0);
      expect(status.api_calls_made_LLM).toBe(h.llm.requests.length);
      expect(status.llm_cost_total).toBeCloseTo(llmCost, 9);
      const imageRequests = h.images.requests.filter((r) => r.status === 200);
      expect(status.api_calls_made_images).toBe(h.images.requests.length);
      expect(imageRequests).toHaveLength(15);
      const imageCost = imageRequests.reduce((sum, r) => sum + (r.cost ?? 0), 0);
      expect(imageCost).toBeGreaterThan(0);
      expect(status.image_cost_total).toBeCloseTo(imageCost, 9);

      // Only task references and small summaries crossed Temporal; no secret did.
      const histories = await fetchHistories(h.client, await worldWorkflowIds(h.db, input.world_id));
      const report = measurePayloads(histories);
      // Root, description, world image, character batch, 3 characters = 7 (33 before release 0.3, 20 before
      // `posts-inline`): each character conceives its first post batch itself (10 posts over 3 characters need no
      // second batch) and runs its avatar and posts in its own history; every post makes its own picture.
      expect(report.workflows).toBe(7);
      // No post waits for a polished image prompt, no avatar for a prompt call: 19 LLM requests, not 32.
      expect(h.llm.requests.filter((r) => r.schemaName === 'PostImagePromptResponse' || r.schemaName === 'CharacterAvatarPromptResponse')).toEqual([]);
      expect(report.largestHistoryEvents).toBeLessThanOrEqual(1000);
      expect(report.largestPayloadBytes).toBeLessThanOrEqual(4096);
      expect(report.text).not.toContain(TEST_SECRETS.openrouter);
      expect(report.text).not.toContain(TEST_SECRETS.runware);
      expect(h.output()).not.toContain(TEST_SECRETS.openrouter);
      expect(h.output()).not.toContain(TEST_SECRETS.runware);
      // Signed upload URLs are not kept at rest once their upload is confirmed.
      const presigns = await h.db.collection('side_effects').find({ world_id: input.world_id, kind: 'media_presign' }).toArray();
      expect(presigns).toHaveLength(2 + 3 + 10);
      expect(presigns.filter((p) => p.result?.uploadUrl !== undefined)).toEqual([]);
      expect(JSON.stringify(presigns)).not.toContain('token=');

      // The workflow code replays its own histories without non-determinism.
      let replayed = 0;
      for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: h.workflowBundlePath } }, histories)) {
        expect(result.error).toBeUndefined();
        replayed += 1;
      }
      expect(replayed).toBe(7);
      console.log(
        `3×10 world: ${report.workflows} workflows, ${report.activities} activities, ${report.events} events, largest payload ${report.largestPayloadBytes} B, ` +
          `${h.llm.requests.length} LLM + ${h.images.requests.length} image requests, ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    },
    180_000,
  );
});

describe('bad input', () => {
  test(
    'fails non-retryably, names every bad field, marks the world failed and spends nothing',
    async () => {
      const input = world({ world_prompt: '   ', characters_count: 0, posts_count: 'many' });
      const root = await h.startWorld(input as any);
      const error = await root.result().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(WorkflowFailedError);
      const cause = (error as WorkflowFailedError).cause as any;
      expect(cause?.nonRetryable).toBe(true);
      for (const field of ['world_prompt', 'characters_count', 'posts_count']) expect(cause.message).toContain(field);
      const status = await h.db.collection('world_generation_status').findOne({ _id: input.world_id as any });
      expect(status?.status).toBe('failed');
      expect(String(status?.error)).toContain('characters_count');
      expect(h.llm.requests).toHaveLength(0);
      expect(h.images.requests).toHaveLength(0);
    },
    60_000,
  );
});

describe('provider faults', () => {
  test(
    'a 429 with Retry-After: 2 delays the next attempt by about 2 s',
    async () => {
      h.llm.faults.push({ status: 429, retryAfter: 2 }, 1, { schemaName: 'WorldDescriptionResponse' });
      const input = world();
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');
      const attempts = h.llm.requests.filter((r) => r.schemaName === 'WorldDescriptionResponse');
      expect(attempts.map((r) => r.status)).toEqual([429, 200]);
      const gapMs = attempts[1]!.at - attempts[0]!.at;
      expect(gapMs).toBeGreaterThanOrEqual(1800);
      expect(gapMs).toBeLessThan(3000);
    },
    120_000,
  );

  test(
    'a 400 makes no further attempt and fails the world with a reason',
    async () => {
      h.llm.faults.push({ status: 400 }, 1, { schemaName: 'WorldDescriptionResponse' });
      const input = world();
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);
      expect(h.llm.requests).toHaveLength(1);
      expect(status.status).toBe('failed');
      const stage = status.stages.find((s: any) => s.name === 'world_description');
      expect(stage.status).toBe('failed');
      expect(stage.reason).toContain('400');
      expect(status.api_calls_made_LLM).toBe(1);
    },
    120_000,
  );

  test(
    'a schema-invalid reply is repaired by exactly one extra call',
    async () => {
      h.llm.faults.push({ schemaInvalid: true }, 1, { schemaName: 'WorldDescriptionResponse' });
      const input = world();
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');
      const description = h.llm.requests.filter((r) => r.schemaName === 'WorldDescriptionResponse');
      expect(description).toHaveLength(2);
      expect(description[1]!.body.messages.length).toBeGreaterThan(description[0]!.body.messages.length);
      expect(status.api_calls_made_LLM).toBe(h.llm.requests.length);
      expect(status.llm_cost_total).toBeCloseTo(h.llm.requests.reduce((s, r) => s + (r.cost ?? 0), 0), 9);
    },
    120_000,
  );

  test(
    'an LLM that returns fewer characters than asked still yields exactly the requested count, without duplicates',
    async () => {
      h.llm.faults.push({ fewerItems: 2 }, 1, { schemaName: 'CharacterBatchResponse' });
      const input = world({ characters_count: 4, posts_count: 4 });
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');
      const batches = h.llm.requests.filter((r) => r.schemaName === 'CharacterBatchResponse');
      expect(batches).toHaveLength(2);
      const characters = charactersOf(input.world_id);
      expect(characters).toHaveLength(4);
      // No clones: four different profiles and handles. (Display names alone can meet by chance: the stand-in draws
      // them from 1,600 two-word names, and the release 0.3 prompts made two of these four collide.)
      const profile = (meta: string | undefined) => JSON.stringify({ ...JSON.parse(meta ?? '{}'), creation_key: undefined });
      expect(new Set(characters.map((c) => profile(c.meta))).size).toBe(4);
      expect(new Set(characters.map((c) => JSON.parse(c.meta ?? '{}').username)).size).toBe(4);
      expect(characters.some((c) => /variant|generated character/i.test(c.displayName))).toBe(false);
      expect(postsOf(input.world_id)).toHaveLength(4);
    },
    120_000,
  );
});

describe('service faults and limits', () => {
  test(
    'a lost CreateAIPost response is found again through GetCharacterPosts, not created a second time',
    async () => {
      // The stand-ins ignore the idempotency key, as post-service does: only reconciliation prevents a duplicate.
      h.services.faults.inject('CreateAIPost', { lostResponse: true });
      const input = world({ posts_count: 2 });
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');
      const posts = postsOf(input.world_id);
      expect(posts).toHaveLength(2);
      expect(new Set(posts.map((p) => p.mediaId)).size).toBe(2);
      const creates = h.services.calls.filter((c) => c.method === 'CreateAIPost' && (c.request as any).worldId === input.world_id);
      expect(creates.map((c) => c.outcome).sort()).toEqual(['LOST_RESPONSE', 'ok']);
      const [characterId] = charactersOf(input.world_id).map((c) => c.id);
      expect(h.services.calls.some((c) => c.method === 'GetCharacterPosts' && (c.request as any).characterId === characterId)).toBe(true);
      expect(status.posts_created).toBe(2);
    },
    120_000,
  );

  test(
    'an LLM call limit stops the world at the limit with status failed and a reason',
    async () => {
      const input = world({ characters_count: 3, posts_count: 10, api_call_limits_llm: 6 });
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('failed');
      expect(status.api_calls_made_LLM).toBe(6);
      expect(h.llm.requests).toHaveLength(6);
      expect(String(status.error)).toContain('LLM call limit of 6 reached');
      const failedStages = status.stages.filter((s: any) => s.status === 'failed');
      expect(failedStages.length).toBeGreaterThan(0);
      expect(status.stages.some((s: any) => s.status === 'in_progress' || s.status === 'pending')).toBe(false);
    },
    120_000,
  );
});

describe('a world of the platform default size', () => {
  slowTest(
    '25 characters and 150 posts complete with exact counts',
    async () => {
      const input = world({ characters_count: 25, posts_count: 150 });
      const started = Date.now();
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id, 600_000);
      const seconds = (Date.now() - started) / 1000;
      expect(status.status).toBe('completed');
      expect(status.users_created).toBe(25);
      expect(status.posts_created).toBe(150);
      expect(charactersOf(input.world_id)).toHaveLength(25);
      expect(postsOf(input.world_id)).toHaveLength(150);
      expect(mediaOf(input.world_id)).toHaveLength(2 + 25 + 150);
      expect(status.api_calls_made_LLM).toBe(h.llm.requests.length);
      expect(status.api_calls_made_images).toBe(h.images.requests.length);
      const report = measurePayloads(await fetchHistories(h.client, await worldWorkflowIds(h.db, input.world_id)));
      expect(report.largestPayloadBytes).toBeLessThanOrEqual(4096);
      console.log(
        `25×150 world: ${seconds.toFixed(1)} s, ${report.workflows} workflows, ${report.activities} activities, ` +
          `${report.events} events (largest history ${report.largestHistoryEvents}), ${h.llm.requests.length} LLM + ` +
          `${h.images.requests.length} image requests, largest payload ${report.largestPayloadBytes} B`,
      );
    },
    900_000,
  );
});

describe('shutdown', () => {
  // Last: it stops the worker.
  test(
    'SIGTERM stops polling, lets the in-flight activity finish, then exits 0',
    async () => {
      h.llm.setLatency(1500); // below the harness's SHUTDOWN_GRACE_MS of 2000
      const input = world();
      await h.startWorld(input);
      while (!h.llm.requests.some((r) => r.status === 0)) await Bun.sleep(20);
      const inFlight = h.llm.requests.find((r) => r.status === 0)!;
      h.signal('SIGTERM');
      expect(await h.exited).toBe(0);
      expect(inFlight.status).toBe(200);
      expect(h.llm.requests).toHaveLength(1);
      // The activity completed its bookkeeping (audit row, cost) before the worker let go of it.
      const audit = await h.db.collection('api_requests_history').find({ world_id: input.world_id, api_type: 'llm' }).toArray();
      expect(audit).toHaveLength(1);
      expect(audit[0]?.error).toBeNull();
      expect(h.output()).toContain('worker stopped');
    },
    60_000,
  );
});
