/**
 * The windows of a creation in services that ignore idempotency keys, one activity attempt at a time (the way
 * Temporal would retry), against the default stand-ins — which, like the Go services, create again for a repeated
 * key — a real MongoDB-compatible server and real clients over loopback.
 *
 * Each case checks the stand-in holds exactly one character / post, and that what the world counts agrees.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { startServiceStandIns, type Fault, type ServiceStandIns } from '../../dev/stand-ins/services';
import { createProgressActivities } from '../../src/activities/progress-activities';
import { createServiceActivities } from '../../src/activities/service-activities';
import type { ServiceActivities } from '../../src/activities/contracts';
import { createMediaUploader } from '../../src/clients/media-uploader';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { loadConfig, type Config } from '../../src/config/config';
import { ErrorTypes } from '../../src/domain/error-types';
import { taskIds, TaskTypes } from '../../src/domain/task-ids';
import type { AvatarParams, CharacterParams, PostImageParams, WorldDescriptionParams } from '../../src/domain/task-params';
import { MediaType } from '../../src/gen/media/media_pb';
import { createLogger } from '../../src/logger';
import { connectMongo, createRepositories, ensureAllIndexes, type MongoHandle, type Repositories } from '../../src/repositories';
import type { CharacterDetail, PostDetail } from '../../src/schemas/llm';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';

const DEADLINE_MS = 1_000;
let mongo: MongoHandle;
let standIns: ServiceStandIns;
let clients: ServiceClients;
let deadClients: ServiceClients;
let repos: Repositories;
let config: Config;
let acts: ServiceActivities;
/** The same activities, but every service address refuses connections. */
let unreachable: ServiceActivities;

// Failing attempts are the point of these tests; the mock environment would log each one as a warning.
const quiet = new DefaultLogger('ERROR');
const run = <A, R>(fn: (args: A) => Promise<R>, attempt: number, args: A, scheduledAtMs = 1): Promise<R> =>
  new MockActivityEnvironment({ attempt, currentAttemptScheduledTimestampMs: scheduledAtMs }, { logger: quiet }).run(fn as never, args as never) as Promise<R>;

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ApplicationFailure);
    return e as ApplicationFailure;
  }
  throw new Error('expected the activity to fail');
}

function build(services: ServiceClients): ServiceActivities {
  const deps = {
    config,
    repos,
    services,
    log: createLogger('error'),
    media: createMediaUploader({ media: services.media, httpTimeoutMs: 5_000 }),
    llm: undefined as never,
    runware: undefined as never,
  };
  return createServiceActivities(deps, createProgressActivities(deps));
}

beforeAll(async () => {
  const stack = await getStack();
  standIns = await startServiceStandIns();
  const env = (url: string) => ({
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: `service_creation_${Date.now()}`,
    OPENROUTER_API_KEY: 'sk-test',
    RUNWARE_API_KEY: 'rw-test',
    CHARACTER_SERVICE_URL: url,
    POST_SERVICE_URL: url,
    MEDIA_SERVICE_URL: url,
    WORLD_SERVICE_URL: url,
    GRPC_DEADLINE_MS: String(DEADLINE_MS),
  });
  config = loadConfig(env(standIns.url));
  mongo = await connectMongo(config.mongo);
  await ensureAllIndexes(mongo.db);
  repos = createRepositories(mongo.db);
  clients = createServiceClients(config.services);
  deadClients = createServiceClients(loadConfig(env('http://127.0.0.1:1')).services);
  acts = build(clients);
  unreachable = build(deadClients);
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await clients?.close();
  await deadClients?.close();
  await mongo?.db.dropDatabase().catch(() => {});
  await mongo?.close();
  await standIns?.close();
});

beforeEach(() => standIns.reset());

const detail = (over: Partial<CharacterDetail> = {}): CharacterDetail => ({
  username: 'mira.salt',
  display_name: 'Mira Saltglass',
  bio: 'Caravan cartographer.',
  background_story: 'Born in a storm.',
  personality: 'Curious',
  appearance: 'Tall',
  interests: ['maps'],
  speaking_style: 'terse',
  common_topics: ['dunes'],
  avatar_description: 'portrait',
  avatar_style: 'photo',
  avatar_prompt: 'portrait prompt',
  relationships: [],
  secret: 'none',
  daily_routine: 'walks',
  ...over,
});

async function newWorld(worldName = ''): Promise<string> {
  const worldId = randomUUID();
  await repos.status.initialize({ worldId, charactersCount: 3, postsCount: 3, userPrompt: 'p', apiCallLimitsLlm: 100, apiCallLimitsImages: 100, tasksPredicted: 10 });
  const params: WorldDescriptionParams = { world_id: worldId, world_name: worldName, user_prompt: 'p', characters_count: 3, posts_count: 3 };
  await repos.tasks.createIfAbsent({ id: taskIds.worldDescription(worldId), type: TaskTypes.worldDescription, worldId, parameters: params as never });
  return worldId;
}

async function characterTask(worldId: string, index: number, d: CharacterDetail = detail()): Promise<string> {
  const id = taskIds.character(worldId, index);
  const params: CharacterParams = { world_id: worldId, character_index: index, batch_task_id: 'b', concept: {} as never, posts_count: 1 };
  await repos.tasks.createIfAbsent({ id, type: TaskTypes.character, worldId, parameters: params as never });
  await repos.tasks.saveStepResult(id, 'character_detail', d);
  return id;
}

/** A post task whose image is rendered: the character exists at the stand-in and the media is confirmed. */
async function postImageTask(worldId: string): Promise<{ taskId: string; mediaId: string; characterId: string }> {
  const characterId = (await clients.character.createCharacter({ worldId, displayName: 'Poster' })).id;
  const characterTaskId = taskIds.character(worldId, 9);
  const postTaskId = taskIds.post(characterTaskId, 0);
  const postDetail: PostDetail = {
    content: 'Storm bottles at dawn.',
    image_prompt: 'bottles',
    hashtags: ['storms'],
  };
  await repos.tasks.createIfAbsent({ id: postTaskId, type: TaskTypes.post, worldId, parameters: {} });
  await repos.tasks.saveStepResult(postTaskId, 'post_detail', postDetail);
  const taskId = taskIds.postImage(postTaskId);
  const params: PostImageParams = { world_id: worldId, character_task_id: characterTaskId, character_id: characterId, post_task_id: postTaskId };
  await repos.tasks.createIfAbsent({ id: taskId, type: TaskTypes.postImage, worldId, parameters: params as never });
  const p = await clients.media.getPresignedUploadURL({ worldId, characterId, filename: 'generia_post.jpg', contentType: 'image/jpeg', mediaType: MediaType.POST_IMAGE });
  await fetch(p.uploadUrl, { method: 'PUT', body: new Uint8Array([1, 2]), headers: { 'content-type': 'image/jpeg' } });
  await clients.media.confirmUpload({ mediaId: p.mediaId });
  return { taskId, mediaId: p.mediaId, characterId };
}

const charactersIn = (worldId: string) => [...standIns.state.characters.values()].filter((c) => c.worldId === worldId);
const postsIn = (worldId: string) => [...standIns.state.posts.values()].filter((p) => p.worldId === worldId);
const calls = (method: string) => standIns.calls.filter((c) => c.method === method);

describe('CreateCharacter', () => {
  for (const lost of [true, 'deadline', 'reset'] as const) {
    test(
      `a lost response after the commit (${lost === true ? 'UNAVAILABLE' : lost}) is recorded as ambiguous and never sent again`,
      async () => {
        const worldId = await newWorld();
        const taskId = await characterTask(worldId, 0);
        standIns.faults.inject('CreateCharacter', { lostResponse: lost });
        const first = await failureOf(run(acts.createCharacter, 1, { taskId }));
        expect(first.type).toBe(ErrorTypes.ambiguousCreation);
        expect(first.nonRetryable).toBe(true);
        // Even if something ran the step again, nothing is created twice and nothing is counted twice.
        const again = await failureOf(run(acts.createCharacter, 2, { taskId }));
        expect(again.type).toBe(ErrorTypes.ambiguousCreation);
        expect(charactersIn(worldId)).toHaveLength(1);
        expect(calls('CreateCharacter')).toHaveLength(1);
        const status = await repos.status.get(worldId);
        expect(status?.characters_ambiguous).toBe(1);
        expect(status?.users_created).toBe(0);
        expect(String(status?.error)).toContain('may have created it');
        const record = await repos.sideEffects.getCreation(`create-character:${taskId}`);
        expect(record?.state).toBe('ambiguous');
        // The character that exists carries the creation key, so it can be identified in the service's table.
        expect(JSON.parse(charactersIn(worldId)[0]!.meta!).creation_key).toBe(`create-character:${taskId}`);
      },
      STACK_TIMEOUT_MS,
    );
  }

  test(
    'an attempt that died after sending (sent_at recorded, no outcome) makes the next attempt give up, not create again',
    async () => {
      const worldId = await newWorld();
      const taskId = await characterTask(worldId, 0);
      standIns.faults.inject('CreateCharacter', { lateCommitMs: DEADLINE_MS + 300 });
      await failureOf(run(acts.createCharacter, 1, { taskId }));
      await Bun.sleep(DEADLINE_MS + 500);
      expect(charactersIn(worldId)).toHaveLength(1);
      expect((await failureOf(run(acts.createCharacter, 2, { taskId }))).type).toBe(ErrorTypes.ambiguousCreation);
      expect(calls('CreateCharacter')).toHaveLength(1);
      expect((await repos.status.get(worldId))?.characters_ambiguous).toBe(1);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'a refused connection provably sent nothing: retried normally, exactly one character',
    async () => {
      const worldId = await newWorld();
      const taskId = await characterTask(worldId, 0);
      const first = await failureOf(run(unreachable.createCharacter, 1, { taskId }));
      expect(first.nonRetryable).toBe(false);
      const { characterId } = await run(acts.createCharacter, 2, { taskId });
      expect(charactersIn(worldId).map((c) => c.id)).toEqual([characterId]);
      expect((await run(acts.createCharacter, 3, { taskId })).characterId).toBe(characterId);
      expect(calls('CreateCharacter')).toHaveLength(1);
      expect((await repos.status.get(worldId))?.characters_ambiguous ?? 0).toBe(0);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    "the service's own error answer means nothing was created: INTERNAL is retried, INVALID_ARGUMENT fails for good",
    async () => {
      const worldId = await newWorld();
      const taskId = await characterTask(worldId, 0);
      standIns.faults.inject('CreateCharacter', { code: 'INTERNAL' });
      expect((await failureOf(run(acts.createCharacter, 1, { taskId }))).nonRetryable).toBe(false);
      const { characterId } = await run(acts.createCharacter, 2, { taskId });
      expect(charactersIn(worldId).map((c) => c.id)).toEqual([characterId]);

      const other = await characterTask(worldId, 1, detail({ username: 'bo' }));
      standIns.faults.inject('CreateCharacter', { code: 'INVALID_ARGUMENT' });
      const rejected = await failureOf(run(acts.createCharacter, 1, { taskId: other }));
      expect(rejected.nonRetryable).toBe(true);
      expect(rejected.type).toBe(ErrorTypes.upstreamRejected);
      expect(charactersIn(worldId)).toHaveLength(1);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'what is sent is fitted to the service: no NUL, bounded display name, usernames unique within the world',
    async () => {
      const worldId = await newWorld();
      const a = await characterTask(worldId, 0, detail({ display_name: `Mira\u0000 ${'x'.repeat(200)}` }));
      const b = await characterTask(worldId, 1, detail({ display_name: 'Other Mira' }));
      await run(acts.createCharacter, 1, { taskId: a });
      await run(acts.createCharacter, 1, { taskId: b });
      const made = charactersIn(worldId);
      expect(made).toHaveLength(2);
      const usernames = made.map((c) => JSON.parse(c.meta!).username as string);
      expect(new Set(usernames).size).toBe(2);
      expect(usernames).toContain('mira.salt');
      expect(usernames).toContain('mira.salt_2');
      const first = made.find((c) => c.displayName.startsWith('Mira'))!;
      expect([...first.displayName].length).toBeLessThanOrEqual(100);
      expect(first.displayName).not.toContain('\u0000');
    },
    STACK_TIMEOUT_MS,
  );
});

describe('CreateAIPost', () => {
  const lostCases: { name: string; fault: Fault }[] = [
    { name: 'UNAVAILABLE', fault: { lostResponse: true } },
    { name: 'deadline', fault: { lostResponse: 'deadline' } },
    { name: 'reset', fault: { lostResponse: 'reset' } },
  ];
  for (const { name, fault } of lostCases) {
    test(
      `a lost response after the commit (${name}) is found through GetCharacterPosts by its media id: one post`,
      async () => {
        const worldId = await newWorld();
        const { taskId, mediaId, characterId } = await postImageTask(worldId);
        standIns.faults.inject('CreateAIPost', fault);
        const first = await failureOf(run(acts.createPost, 1, { taskId, mediaId }));
        expect(first.nonRetryable).toBe(false);
        // The retry waits until the lost call must be over on the server too.
        expect(first.nextRetryDelay).toBeDefined();
        const { postId } = await run(acts.createPost, 2, { taskId, mediaId });
        expect(postsIn(worldId).map((p) => p.postId)).toEqual([postId]);
        expect(calls('CreateAIPost')).toHaveLength(1);
        expect(calls('GetCharacterPosts').map((c) => (c.request as { characterId: string }).characterId)).toEqual([characterId]);
        // Done: a later re-run neither reads nor creates.
        expect((await run(acts.createPost, 3, { taskId, mediaId })).postId).toBe(postId);
        // (+4: the fixture's CreateCharacter, presign, upload and confirm.)
        expect(standIns.calls).toHaveLength(calls('CreateAIPost').length + calls('GetCharacterPosts').length + 4);
      },
      STACK_TIMEOUT_MS,
    );
  }

  test(
    'a zombie commit (the server commits after the client gave up) is seen by the next attempt, which waits for it',
    async () => {
      const worldId = await newWorld();
      const { taskId, mediaId } = await postImageTask(worldId);
      standIns.faults.inject('CreateAIPost', { lateCommitMs: DEADLINE_MS + 700 });
      await failureOf(run(acts.createPost, 1, { taskId, mediaId }));
      expect(postsIn(worldId)).toHaveLength(0); // not yet committed when the client gave up
      const started = Date.now();
      const { postId } = await run(acts.createPost, 2, { taskId, mediaId });
      expect(Date.now() - started).toBeGreaterThan(500); // it waited out the settle window
      expect(postsIn(worldId).map((p) => p.postId)).toEqual([postId]);
      expect(calls('CreateAIPost')).toHaveLength(1);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'an error without effect (UNAVAILABLE before the handler ran) is reconciled, found absent, and created once',
    async () => {
      const worldId = await newWorld();
      const { taskId, mediaId } = await postImageTask(worldId);
      standIns.faults.inject('CreateAIPost', { code: 'UNAVAILABLE' });
      await failureOf(run(acts.createPost, 1, { taskId, mediaId }));
      const { postId } = await run(acts.createPost, 2, { taskId, mediaId });
      expect(postsIn(worldId).map((p) => p.postId)).toEqual([postId]);
      expect(calls('CreateAIPost').map((c) => c.outcome)).toEqual(['UNAVAILABLE', 'ok']);
      expect(calls('GetCharacterPosts')).toHaveLength(1);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'a read that cannot rule the post out (media_url empty) does not create; a later read decides',
    async () => {
      const worldId = await newWorld();
      const { taskId, mediaId } = await postImageTask(worldId);
      standIns.faults.inject('CreateAIPost', { lostResponse: true });
      await failureOf(run(acts.createPost, 1, { taskId, mediaId }));
      standIns.faults.inject('GetMediaURL', { code: 'INTERNAL' });
      const inconclusive = await failureOf(run(acts.createPost, 2, { taskId, mediaId }));
      expect(inconclusive.type).toBe('ReconciliationInconclusive');
      expect(inconclusive.nonRetryable).toBe(false);
      const { postId } = await run(acts.createPost, 3, { taskId, mediaId });
      expect(postsIn(worldId).map((p) => p.postId)).toEqual([postId]);
      expect(calls('CreateAIPost')).toHaveLength(1);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'an older attempt that wakes up after a newer one claimed the creation sends nothing',
    async () => {
      const worldId = await newWorld();
      const { taskId, mediaId } = await postImageTask(worldId);
      standIns.faults.inject('CreateAIPost', { code: 'INTERNAL' });
      await failureOf(run(acts.createPost, 3, { taskId, mediaId })); // attempt 3 claimed it
      const zombie = await failureOf(run(acts.createPost, 2, { taskId, mediaId }));
      expect(zombie.type).toBe('CreationSuperseded');
      expect(calls('CreateAIPost')).toHaveLength(1);
      const { postId } = await run(acts.createPost, 4, { taskId, mediaId });
      expect(postsIn(worldId).map((p) => p.postId)).toEqual([postId]);
    },
    STACK_TIMEOUT_MS,
  );
});

describe('the service call counts what it made (service-call-counts-outcome)', () => {
  test(
    'CreateAIPost with countAndClose: one post, counted once and its task closed, through a lost response and a re-run',
    async () => {
      const worldId = await newWorld();
      const { taskId: imageTaskId, mediaId } = await postImageTask(worldId);
      const postTaskId = (await repos.tasks.require(imageTaskId)).parameters.post_task_id as string;
      standIns.faults.inject('CreateAIPost', { lostResponse: true });
      await failureOf(run(acts.createPost, 1, { taskId: imageTaskId, mediaId, countAndClose: true }));
      // Nothing counted while the outcome is unknown.
      expect((await repos.status.get(worldId))?.posts_created).toBe(0);
      const { postId } = await run(acts.createPost, 2, { taskId: imageTaskId, mediaId, countAndClose: true });
      expect((await run(acts.createPost, 3, { taskId: imageTaskId, mediaId, countAndClose: true })).postId).toBe(postId);
      expect(postsIn(worldId).map((p) => p.postId)).toEqual([postId]);
      const status = await repos.status.get(worldId);
      expect(status?.posts_created).toBe(1);
      expect(status?.tasks_completed).toBe(1);
      expect((await repos.tasks.require(imageTaskId)).status).toBe('completed');
      // The key is the post's: a recordOutcome for the post (the release before, or a clean-up) cannot count it again.
      expect(await repos.status.applyOnce(worldId, `outcome:post:${postTaskId}`, { posts_failed: 1 })).toBe(false);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'createCharacterWithFamily: one character, counted once, its avatar planned with the stored portrait prompt, through a re-run',
    async () => {
      const worldId = await newWorld();
      const taskId = await characterTask(worldId, 0);
      const first = await run(acts.createCharacterWithFamily, 1, { taskId, postBatchTaskId: null });
      const again = await run(acts.createCharacterWithFamily, 2, { taskId, postBatchTaskId: null });
      expect(again).toEqual(first);
      // The profile wrote the portrait prompt: the avatar's task is started with it, its first step is skipped.
      expect(first.plan).toEqual({ avatarTaskId: taskIds.characterAvatar(taskId), avatarReady: true, postTaskIds: [], nextBatchTaskId: null });
      expect(charactersIn(worldId).map((c) => c.id)).toEqual([first.characterId]);
      expect(calls('CreateCharacter')).toHaveLength(1);
      const status = await repos.status.get(worldId);
      expect(status?.users_created).toBe(1);
      const avatar = await repos.tasks.require(first.plan.avatarTaskId);
      expect(avatar.parameters).toMatchObject({ character_id: first.characterId, character_task_id: taskId });
      expect((avatar.result as Record<string, unknown>).avatar_prompt).toEqual({ prompt: 'portrait prompt' });
      expect(avatar.status).toBe('in_progress');
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'UpdateWorldImage with settle: the world_image stage completes and the task closes once, also when the activity runs again',
    async () => {
      const worldId = await newWorld();
      const taskId = taskIds.worldImage(worldId);
      await repos.tasks.createIfAbsent({ id: taskId, type: TaskTypes.worldImage, worldId, parameters: { world_id: worldId } });
      await run(acts.publishWorldImages, 1, { taskId, headerMediaId: 'h-1', iconMediaId: 'i-1', settle: true });
      await run(acts.publishWorldImages, 2, { taskId, headerMediaId: 'h-1', iconMediaId: 'i-1', settle: true });
      const status = await repos.status.get(worldId);
      expect(status?.stages.find((st) => st.name === 'world_image')?.status).toBe('completed');
      expect(status?.tasks_completed).toBe(1);
      expect((await repos.tasks.require(taskId)).status).toBe('completed');
      expect(calls('UpdateWorldImage')).toHaveLength(2);
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'UpdateCharacter with countAndClose: the avatar is counted once and its task closed, also when the activity runs again',
    async () => {
      const worldId = await newWorld();
      const characterId = (await clients.character.createCharacter({ worldId, displayName: 'Sitter' })).id;
      const taskId = taskIds.characterAvatar(taskIds.character(worldId, 0));
      const params: AvatarParams = { world_id: worldId, character_task_id: taskIds.character(worldId, 0), character_id: characterId };
      await repos.tasks.createIfAbsent({ id: taskId, type: TaskTypes.characterAvatar, worldId, parameters: params as never });
      const p = await clients.media.getPresignedUploadURL({ worldId, characterId, filename: 'generia_avatar.jpg', contentType: 'image/jpeg', mediaType: MediaType.CHARACTER_AVATAR });
      await fetch(p.uploadUrl, { method: 'PUT', body: new Uint8Array([1, 2]), headers: { 'content-type': 'image/jpeg' } });
      await clients.media.confirmUpload({ mediaId: p.mediaId });
      const mediaId = p.mediaId;
      await run(acts.setCharacterAvatar, 1, { taskId, mediaId, countAndClose: true });
      await run(acts.setCharacterAvatar, 2, { taskId, mediaId, countAndClose: true });
      const status = await repos.status.get(worldId);
      expect(status?.avatars_created).toBe(1);
      expect(status?.tasks_completed).toBe(1);
      expect((await repos.tasks.require(taskId)).status).toBe('completed');
      expect(calls('UpdateCharacter')).toHaveLength(2);
      // Without countAndClose (the release before): nothing is counted by the service call.
      const other = taskIds.characterAvatar(taskIds.character(worldId, 1));
      await repos.tasks.createIfAbsent({ id: other, type: TaskTypes.characterAvatar, worldId, parameters: params as never });
      await run(acts.setCharacterAvatar, 1, { taskId: other, mediaId });
      expect((await repos.status.get(worldId))?.avatars_created).toBe(1);
    },
    STACK_TIMEOUT_MS,
  );
});

describe('a new execution of the step', () => {
  test(
    'starts again at attempt 1 but, scheduled later, takes over from the old execution instead of being superseded',
    async () => {
      const worldId = await newWorld();
      const { taskId, mediaId } = await postImageTask(worldId);
      standIns.faults.inject('CreateAIPost', { code: 'INTERNAL' });
      await failureOf(run(acts.createPost, 8, { taskId, mediaId }, 1_000)); // the old execution's last attempt
      const { postId } = await run(acts.createPost, 1, { taskId, mediaId }, 2_000);
      expect(postsIn(worldId).map((p) => p.postId)).toEqual([postId]);
      // The old execution's attempt, if it ever woke up, would send nothing.
      expect((await run(acts.createPost, 8, { taskId, mediaId }, 1_000)).postId).toBe(postId);
      expect(calls('CreateAIPost')).toHaveLength(2);
    },
    STACK_TIMEOUT_MS,
  );
});

describe('UpdateWorldParams', () => {
  test("the frontend's \"Generated World\" is replaced by the generated name; a chosen name is kept", async () => {
    for (const [given, expected] of [
      ['Generated World', 'Saltglass Reach'],
      ['', 'Saltglass Reach'],
      ['Glass Dunes', 'Glass Dunes'],
    ] as const) {
      const worldId = await newWorld(given);
      await repos.worldParams.save(worldId, { name: 'Saltglass Reach', description: 'd' });
      await run(acts.publishWorldParams, 1, { taskId: taskIds.worldDescription(worldId) });
      expect(standIns.state.worlds.get(worldId)?.name).toBe(expected);
    }
  });
});
