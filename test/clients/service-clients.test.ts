/**
 * The generated service clients against the in-memory stand-ins, over real loopback gRPC (h2c): requests,
 * status codes as the Go services return them, deadlines, and what a failed call says about its effect
 * (classifyCallFailure) for every way a response can be lost.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { classifyCallFailure } from '../../src/clients/grpc-failure';
import { createServiceClients, idempotencyHeaders, type ServiceClients } from '../../src/clients/service-clients';
import { MediaType } from '../../src/gen/media/media_pb';
import { GetCharacterPostsRequestSchema, PostListSchema, PostSchema } from '../../src/gen/post/post_pb';
import { startServiceStandIns, type Fault, type ServiceStandIns } from '../../dev/stand-ins/services';

const T = 15_000;
const W1 = '11111111-1111-4111-8111-111111111111';
let standIns: ServiceStandIns;
let clients: ServiceClients;
const seenHeaders: Array<string | null> = [];

async function rpcError(p: Promise<unknown>): Promise<ConnectError> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e);
  }
  throw new Error('expected the call to fail');
}

async function failure(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected the call to fail');
}

/** Creates confirmed media the way the worker does, so CreateAIPost has something to reference. */
async function confirmedMedia(characterId: string): Promise<string> {
  const presigned = await clients.media.getPresignedUploadURL({
    worldId: W1,
    characterId,
    filename: 'generia_x.png',
    contentType: 'image/png',
    size: 0n,
    mediaType: MediaType.POST_IMAGE,
  });
  const put = await fetch(presigned.uploadUrl, {
    method: 'PUT',
    body: new Uint8Array([1, 2, 3]),
    headers: { 'content-type': 'image/png' },
  });
  expect(put.status).toBe(200);
  await clients.media.confirmUpload({ mediaId: presigned.mediaId });
  return presigned.mediaId;
}

beforeAll(async () => {
  standIns = await startServiceStandIns();
  const recordHeader: Interceptor = (next) => async (req) => {
    seenHeaders.push(req.header.get('idempotency-key'));
    return next(req);
  };
  clients = createServiceClients({
    characterUrl: standIns.url,
    postUrl: standIns.url,
    mediaUrl: standIns.url,
    worldUrl: standIns.url,
    deadlineMs: 500,
    interceptors: [recordHeader],
  });
}, T);

afterAll(async () => {
  await clients?.close();
  await standIns?.close();
}, T);

beforeEach(() => {
  standIns.reset();
  seenHeaders.length = 0;
});

describe('service clients over loopback gRPC', () => {
  test(
    'CreateCharacter creates an AI character and sends the idempotency key the services ignore',
    async () => {
      const c = await clients.character.createCharacter({ worldId: W1, displayName: 'Ann', meta: '{"x":1}' }, idempotencyHeaders('k-1'));
      expect(c.id).not.toBe('');
      expect(c.isAi).toBe(true);
      expect(c.realUserId).toBeUndefined();
      expect(standIns.state.characters.get(c.id)?.displayName).toBe('Ann');
      expect(standIns.calls.map((x) => [x.method, x.outcome, x.idempotencyKey])).toEqual([['CreateCharacter', 'ok', 'k-1']]);
      expect(standIns.calls[0]?.request).toEqual({ worldId: W1, displayName: 'Ann', meta: '{"x":1}' });
      expect(seenHeaders).toEqual(['k-1']);
    },
    T,
  );

  test(
    'like the Go service, CreateCharacter answers INTERNAL for what Postgres refuses and stores nothing',
    async () => {
      for (const req of [
        { worldId: 'w1', displayName: 'Ann' }, // world_id is a UUID column
        { worldId: W1, displayName: 'Ann', meta: 'not json' }, // meta is JSONB
        { worldId: W1, displayName: 'A\u0000nn' }, // TEXT refuses NUL
        { worldId: W1, displayName: 'Ann', meta: JSON.stringify({ bio: 'a\u0000b' }) }, // JSONB refuses \u0000
      ]) {
        expect((await rpcError(clients.character.createCharacter(req))).code).toBe(Code.Internal);
      }
      expect(standIns.state.characters.size).toBe(0);
    },
    T,
  );

  test(
    'GetCharacter reads a character back (NOT_FOUND otherwise); UpdateCharacter of an unknown id is INTERNAL, as in Go',
    async () => {
      const c = await clients.character.createCharacter({ worldId: W1, displayName: 'Ann', meta: '{"creation_key":"k"}' });
      const read = await clients.character.getCharacter({ characterId: c.id });
      expect(read.meta).toBe('{"creation_key":"k"}');
      expect((await rpcError(clients.character.getCharacter({ characterId: randomUUID() }))).code).toBe(Code.NotFound);
      expect((await rpcError(clients.character.getCharacter({ characterId: 'nope' }))).code).toBe(Code.NotFound);
      const mediaId = randomUUID();
      const u = await clients.character.updateCharacter({ characterId: c.id, avatarMediaId: mediaId });
      expect(u.avatarMediaId).toBe(mediaId);
      expect(u.displayName).toBe('Ann');
      expect((await rpcError(clients.character.updateCharacter({ characterId: randomUUID(), avatarMediaId: mediaId }))).code).toBe(Code.Internal);
    },
    T,
  );

  test(
    'CreateAIPost validation follows the Go handler: INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, INTERNAL',
    async () => {
      const c = await clients.character.createCharacter({ worldId: W1, displayName: 'Ann' });
      const other = await clients.character.createCharacter({ worldId: W1, displayName: 'Bo' });
      const mediaId = await confirmedMedia(c.id);
      const codeOf = async (req: Record<string, unknown>) => (await rpcError(clients.post.createAIPost({ caption: 'x', worldId: W1, ...req }))).code;
      expect(await codeOf({ characterId: c.id })).toBe(Code.InvalidArgument);
      expect(await codeOf({ characterId: randomUUID(), mediaId })).toBe(Code.NotFound);
      expect(await codeOf({ characterId: c.id, mediaId: randomUUID() })).toBe(Code.Internal);
      expect(await codeOf({ characterId: other.id, mediaId })).toBe(Code.PermissionDenied);
      const p = await clients.media.getPresignedUploadURL({ worldId: W1, characterId: c.id, filename: 'f.png', contentType: 'image/png', mediaType: MediaType.POST_IMAGE });
      // Stricter than Go (documented in the stand-in): unconfirmed media is refused.
      expect(await codeOf({ characterId: c.id, mediaId: p.mediaId })).toBe(Code.FailedPrecondition);
      expect(standIns.state.posts.size).toBe(0);
    },
    T,
  );

  test(
    'deadline: latency beyond deadlineMs yields Code.DeadlineExceeded; per-call timeoutMs overrides it',
    async () => {
      standIns.setLatency('UpdateWorldParams', 1_500);
      const started = Date.now();
      const err = await rpcError(clients.world.updateWorldParams({ worldId: W1, params: '{}', name: 'N', usersCount: 1, postsCount: 2 }));
      expect(err.code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(1_400);
      const ok = await clients.world.updateWorldParams({ worldId: W1, params: '{}', name: 'N', usersCount: 1, postsCount: 2 }, { timeoutMs: 5_000 });
      expect(ok.success).toBe(true);
      expect(standIns.state.worlds.get(W1)).toMatchObject({ params: '{}', name: 'N', usersCount: 1, postsCount: 2 });
    },
    T,
  );

  test(
    'world validation: UpdateWorldImage needs all three ids; UpdateWorldParams needs params and name <= 100 chars',
    async () => {
      expect((await rpcError(clients.world.updateWorldImage({ worldId: W1, imageUuid: 'h' }))).code).toBe(Code.InvalidArgument);
      await clients.world.updateWorldImage({ worldId: W1, imageUuid: 'h', iconUuid: 'i' });
      expect(standIns.state.worlds.get(W1)).toMatchObject({ imageUuid: 'h', iconUuid: 'i' });
      expect((await rpcError(clients.world.updateWorldParams({ worldId: W1, params: '' }))).code).toBe(Code.InvalidArgument);
      expect((await rpcError(clients.world.updateWorldParams({ worldId: W1, params: '{}', name: 'x'.repeat(101) }))).code).toBe(Code.InvalidArgument);
      await clients.world.updateWorldParams({ worldId: W1, params: '{}', name: 'é'.repeat(100) });
    },
    T,
  );

  test(
    'close() tears down the HTTP/2 sessions; a later call reconnects',
    async () => {
      await clients.character.healthCheck({});
      await clients.close();
      const res = await clients.character.healthCheck({});
      expect(res.status).toBe('SERVING');
    },
    T,
  );
});

describe('post.proto matches the Go service where the worker reads it', () => {
  test('Post, PostList and GetCharacterPostsRequest field numbers', () => {
    const numbers = (fields: readonly { name: string; number: number }[]) => Object.fromEntries(fields.map((f) => [f.name, f.number]));
    expect(numbers(PostSchema.fields)).toEqual({
      post_id: 1,
      character_id: 2,
      display_name: 3,
      caption: 4,
      media_url: 5,
      created_at: 6,
      likes_count: 7,
      comments_count: 8,
      world_id: 9,
      avatar_url: 10,
      is_ai: 11,
      tags: 12,
    });
    expect(numbers(PostListSchema.fields)).toEqual({ posts: 1, total: 2, next_cursor: 3 });
    expect(numbers(GetCharacterPostsRequestSchema.fields)).toEqual({ character_id: 1, limit: 2, offset: 3, world_id: 4 });
  });
});

describe('classifyCallFailure: what a failed call says about its effect', () => {
  test(
    'a connection that could not be opened never carried the request: not_sent',
    async () => {
      const dead = createServiceClients({ characterUrl: 'http://127.0.0.1:1', postUrl: 'http://127.0.0.1:1', mediaUrl: 'http://127.0.0.1:1', worldUrl: 'http://127.0.0.1:1', deadlineMs: 2_000 });
      try {
        const err = await failure(dead.character.createCharacter({ worldId: W1, displayName: 'Ann' }));
        expect(ConnectError.from(err).code).toBe(Code.Unavailable);
        expect(classifyCallFailure(err)).toBe('not_sent');
      } finally {
        await dead.close();
      }
    },
    T,
  );

  test(
    "the service's own error answer (validation, INTERNAL for a refused write) means nothing was created: answered",
    async () => {
      expect(classifyCallFailure(await failure(clients.character.createCharacter({ worldId: 'not-a-uuid', displayName: 'A' })))).toBe('answered');
      expect(classifyCallFailure(await failure(clients.post.createAIPost({ characterId: '', worldId: W1 })))).toBe('answered');
      expect(classifyCallFailure(await failure(clients.character.getCharacter({ characterId: randomUUID() })))).toBe('answered');
    },
    T,
  );

  test(
    'every way of losing the response after the commit is ambiguous, and the character exists each time',
    async () => {
      const cases: { fault: Fault; code: Code | undefined; late?: number }[] = [
        { fault: { lostResponse: true }, code: Code.Unavailable },
        { fault: { lostResponse: 'deadline' }, code: Code.DeadlineExceeded },
        { fault: { lostResponse: 'reset' }, code: undefined },
        { fault: { lateCommitMs: 800 }, code: Code.DeadlineExceeded, late: 800 },
      ];
      for (const { fault, code, late } of cases) {
        standIns.reset();
        standIns.faults.inject('CreateCharacter', fault);
        const err = await failure(clients.character.createCharacter({ worldId: W1, displayName: 'Ann' }));
        if (code !== undefined) expect(ConnectError.from(err).code).toBe(code);
        expect(classifyCallFailure(err)).toBe('ambiguous');
        if (late !== undefined) await Bun.sleep(late + 200);
        expect(standIns.state.characters.size).toBe(1);
        expect(standIns.calls.map((c) => c.outcome)).toEqual([late !== undefined ? 'LATE_COMMIT' : 'LOST_RESPONSE']);
      }
    },
    T,
  );

  test('anything that is not a gRPC answer is ambiguous', () => {
    expect(classifyCallFailure(new Error('boom'))).toBe('ambiguous');
    expect(classifyCallFailure(new ConnectError('x', Code.Unavailable))).toBe('ambiguous');
    expect(classifyCallFailure(new ConnectError('http/2 stream closed with error code REFUSED_STREAM (0x7)', Code.Unavailable))).toBe('not_sent');
    expect(classifyCallFailure('string')).toBe('ambiguous');
  });
});
