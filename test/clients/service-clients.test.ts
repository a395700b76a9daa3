/**
 * The generated service clients against the in-memory stand-ins, over real
 * loopback gRPC (h2c): idempotency keys, fault surfacing and deadlines.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { Code, ConnectError } from '@connectrpc/connect';
import type { Interceptor } from '@connectrpc/connect';
import { createServiceClients, idempotencyHeaders, type ServiceClients } from '../../src/clients/service-clients';
import { MediaType } from '../../src/gen/media/media_pb';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';

const T = 15_000;
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

/** Creates confirmed media the way the worker does, so CreateAIPost has something to reference. */
async function confirmedMedia(characterId: string): Promise<string> {
  const presigned = await clients.media.getPresignedUploadURL({
    worldId: 'w1',
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
    'CreateCharacter creates a character',
    async () => {
      const c = await clients.character.createCharacter({ worldId: 'w1', displayName: 'Ann', meta: '{"x":1}' });
      expect(c.id).not.toBe('');
      expect(c.isAi).toBe(true);
      expect(c.realUserId).toBeUndefined();
      expect(standIns.state.characters.get(c.id)?.displayName).toBe('Ann');
      expect(standIns.calls.map((x) => [x.method, x.outcome])).toEqual([['CreateCharacter', 'ok']]);
      expect(standIns.calls[0]?.request).toEqual({ worldId: 'w1', displayName: 'Ann', meta: '{"x":1}' });
    },
    T,
  );

  test(
    'idempotent CreateCharacter: same key returns the same id and creates one character',
    async () => {
      const opts = idempotencyHeaders('wf-1/create-character/0');
      expect(opts).toEqual({ headers: { 'idempotency-key': 'wf-1/create-character/0' } });
      const a = await clients.character.createCharacter({ worldId: 'w1', displayName: 'Ann' }, opts);
      const b = await clients.character.createCharacter({ worldId: 'w1', displayName: 'Ann' }, opts);
      expect(b.id).toBe(a.id);
      expect(standIns.state.characters.size).toBe(1);
      expect(standIns.calls.map((c) => c.idempotencyKey)).toEqual(['wf-1/create-character/0', 'wf-1/create-character/0']);
      expect(standIns.calls[1]?.replayed).toBe(true);
      expect(seenHeaders).toEqual(['wf-1/create-character/0', 'wf-1/create-character/0']);
      // A different key is a different character.
      const c = await clients.character.createCharacter(
        { worldId: 'w1', displayName: 'Ann' },
        idempotencyHeaders('wf-1/create-character/1'),
      );
      expect(c.id).not.toBe(a.id);
      expect(standIns.state.characters.size).toBe(2);
    },
    T,
  );

  test(
    'UpdateCharacter sets avatar_media_id; unknown character is NOT_FOUND',
    async () => {
      const c = await clients.character.createCharacter({ worldId: 'w1', displayName: 'Ann' });
      const u = await clients.character.updateCharacter({ characterId: c.id, avatarMediaId: 'm-1' });
      expect(u.avatarMediaId).toBe('m-1');
      expect(u.displayName).toBe('Ann');
      const err = await rpcError(clients.character.updateCharacter({ characterId: 'nope', avatarMediaId: 'm' }));
      expect(err.code).toBe(Code.NotFound);
    },
    T,
  );

  test(
    'lost response on CreateAIPost, retried with the same key, creates exactly one post',
    async () => {
      const mediaId = await confirmedMedia('c1');
      standIns.faults.inject('CreateAIPost', { lostResponse: true });
      const req = { characterId: 'c1', caption: 'hi', mediaId, worldId: 'w1', tags: ['#a', '#b'] };
      const opts = idempotencyHeaders('wf-2/create-post');
      const err = await rpcError(clients.post.createAIPost(req, opts));
      expect(err.code).toBe(Code.Unavailable);
      expect(standIns.state.posts.size).toBe(1); // the effect happened
      const retry = await clients.post.createAIPost(req, opts);
      expect(standIns.state.posts.size).toBe(1);
      expect([...standIns.state.posts.keys()]).toEqual([retry.postId]);
      expect(standIns.state.posts.get(retry.postId)?.tags).toEqual(['#a', '#b']);
      expect(standIns.calls.filter((c) => c.method === 'CreateAIPost').map((c) => c.outcome)).toEqual([
        'LOST_RESPONSE',
        'ok',
      ]);
    },
    T,
  );

  test(
    'CreateAIPost validation: empty media_id is INVALID_ARGUMENT, unconfirmed media is FAILED_PRECONDITION',
    async () => {
      const empty = await rpcError(clients.post.createAIPost({ characterId: 'c1', caption: 'x', worldId: 'w1' }));
      expect(empty.code).toBe(Code.InvalidArgument);
      const p = await clients.media.getPresignedUploadURL({
        worldId: 'w1',
        characterId: 'c1',
        filename: 'f.png',
        contentType: 'image/png',
        mediaType: MediaType.POST_IMAGE,
      });
      const unconfirmed = await rpcError(
        clients.post.createAIPost({ characterId: 'c1', caption: 'x', worldId: 'w1', mediaId: p.mediaId }),
      );
      expect(unconfirmed.code).toBe(Code.FailedPrecondition);
      expect(standIns.state.posts.size).toBe(0);
    },
    T,
  );

  test(
    'UNAVAILABLE fault surfaces as ConnectError with Code.Unavailable and has no effect',
    async () => {
      standIns.faults.inject('CreateCharacter', { code: 'UNAVAILABLE' });
      const err = await rpcError(clients.character.createCharacter({ worldId: 'w1', displayName: 'Ann' }));
      expect(err).toBeInstanceOf(ConnectError);
      expect(err.code).toBe(Code.Unavailable);
      expect(standIns.state.characters.size).toBe(0);
      // The fault was consumed; the next call succeeds.
      await clients.character.createCharacter({ worldId: 'w1', displayName: 'Ann' });
      expect(standIns.state.characters.size).toBe(1);
      expect(standIns.calls.map((c) => c.outcome)).toEqual(['UNAVAILABLE', 'ok']);
    },
    T,
  );

  test(
    'deadline: latency beyond deadlineMs yields Code.DeadlineExceeded',
    async () => {
      standIns.setLatency('UpdateWorldParams', 1_500);
      const started = Date.now();
      const err = await rpcError(
        clients.world.updateWorldParams({ worldId: 'w1', params: '{}', name: 'N', usersCount: 1, postsCount: 2 }),
      );
      expect(err.code).toBe(Code.DeadlineExceeded);
      expect(Date.now() - started).toBeLessThan(1_400);
      // Per-call timeoutMs overrides the default deadline.
      const ok = await clients.world.updateWorldParams(
        { worldId: 'w1', params: '{}', name: 'N', usersCount: 1, postsCount: 2 },
        { timeoutMs: 5_000 },
      );
      expect(ok.success).toBe(true);
      expect(standIns.state.worlds.get('w1')).toMatchObject({ params: '{}', name: 'N', usersCount: 1, postsCount: 2 });
    },
    T,
  );

  test(
    'world validation: UpdateWorldImage needs all three ids; UpdateWorldParams needs params and name <= 100 chars',
    async () => {
      expect((await rpcError(clients.world.updateWorldImage({ worldId: 'w1', imageUuid: 'h' }))).code).toBe(
        Code.InvalidArgument,
      );
      await clients.world.updateWorldImage({ worldId: 'w1', imageUuid: 'h', iconUuid: 'i' });
      expect(standIns.state.worlds.get('w1')).toMatchObject({ imageUuid: 'h', iconUuid: 'i' });
      expect((await rpcError(clients.world.updateWorldParams({ worldId: 'w1', params: '' }))).code).toBe(
        Code.InvalidArgument,
      );
      expect(
        (await rpcError(clients.world.updateWorldParams({ worldId: 'w1', params: '{}', name: 'x'.repeat(101) }))).code,
      ).toBe(Code.InvalidArgument);
      await clients.world.updateWorldParams({ worldId: 'w1', params: '{}', name: 'é'.repeat(100) });
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
