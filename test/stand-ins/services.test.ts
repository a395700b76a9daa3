/**
 * The service stand-ins behave like the Go services by default: the idempotency key is ignored, and
 * GetCharacterPosts pages as post-service does. With `dedupeIdempotencyKeys` they show what a service that honours
 * the key would do. Real loopback gRPC.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { Code, ConnectError } from '@connectrpc/connect';
import { createServiceClients, idempotencyHeaders, type ServiceClients } from '../../src/clients/service-clients';
import { MediaType } from '../../src/gen/media/media_pb';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';

const T = 20_000;
const W = '22222222-2222-4222-8222-222222222222';
const started: Array<{ standIns: ServiceStandIns; clients: ServiceClients }> = [];

async function start(dedupe?: boolean) {
  const standIns = await startServiceStandIns(dedupe === undefined ? {} : { dedupeIdempotencyKeys: dedupe });
  const clients = createServiceClients({ characterUrl: standIns.url, postUrl: standIns.url, mediaUrl: standIns.url, worldUrl: standIns.url, deadlineMs: 1_000 });
  started.push({ standIns, clients });
  return { standIns, clients };
}

afterAll(async () => {
  for (const s of started) {
    await s.clients.close();
    await s.standIns.close();
  }
}, T);

async function confirmedMedia(clients: ServiceClients, characterId: string): Promise<string> {
  const p = await clients.media.getPresignedUploadURL({ worldId: W, characterId, filename: 'generia_p.jpg', contentType: 'image/jpeg', mediaType: MediaType.POST_IMAGE });
  expect((await fetch(p.uploadUrl, { method: 'PUT', body: new Uint8Array([1]), headers: { 'content-type': 'image/jpeg' } })).status).toBe(200);
  await clients.media.confirmUpload({ mediaId: p.mediaId });
  return p.mediaId;
}

async function code(p: Promise<unknown>): Promise<Code> {
  try {
    await p;
  } catch (e) {
    return ConnectError.from(e).code;
  }
  throw new Error('expected the call to fail');
}

describe('idempotency keys', () => {
  test(
    'by default, like every Go service, a repeated key creates again (characters, posts, media rows)',
    async () => {
      const { standIns, clients } = await start();
      const opts = idempotencyHeaders('same-key');
      const a = await clients.character.createCharacter({ worldId: W, displayName: 'Ann' }, opts);
      const b = await clients.character.createCharacter({ worldId: W, displayName: 'Ann' }, opts);
      expect(b.id).not.toBe(a.id);
      expect(standIns.state.characters.size).toBe(2);
      const mediaId = await confirmedMedia(clients, a.id);
      const req = { characterId: a.id, caption: 'hi', mediaId, worldId: W, tags: [] };
      await clients.post.createAIPost(req, opts);
      await clients.post.createAIPost(req, opts);
      expect(standIns.state.posts.size).toBe(2);
      const mediaBefore = standIns.state.media.size;
      const presign = { worldId: W, characterId: a.id, filename: 'f.png', contentType: 'image/png', mediaType: MediaType.POST_IMAGE };
      await clients.media.getPresignedUploadURL(presign, opts);
      await clients.media.getPresignedUploadURL(presign, opts);
      expect(standIns.state.media.size).toBe(mediaBefore + 2);
      expect(standIns.calls.some((c) => c.replayed)).toBe(false);
    },
    T,
  );

  test(
    'with dedupeIdempotencyKeys the key is honoured: the same key replays the first answer, a lost response is recovered',
    async () => {
      const { standIns, clients } = await start(true);
      const opts = idempotencyHeaders('wf-1/create-character/0');
      const a = await clients.character.createCharacter({ worldId: W, displayName: 'Ann' }, opts);
      const b = await clients.character.createCharacter({ worldId: W, displayName: 'Ann' }, opts);
      expect(b.id).toBe(a.id);
      expect(standIns.state.characters.size).toBe(1);
      expect(standIns.calls[1]?.replayed).toBe(true);
      const c = await clients.character.createCharacter({ worldId: W, displayName: 'Ann' }, idempotencyHeaders('wf-1/create-character/1'));
      expect(c.id).not.toBe(a.id);

      const mediaId = await confirmedMedia(clients, a.id);
      standIns.faults.inject('CreateAIPost', { lostResponse: true });
      const req = { characterId: a.id, caption: 'hi', mediaId, worldId: W, tags: ['a'] };
      expect(await code(clients.post.createAIPost(req, idempotencyHeaders('post-1')))).toBe(Code.Unavailable);
      const retry = await clients.post.createAIPost(req, idempotencyHeaders('post-1'));
      expect([...standIns.state.posts.keys()]).toEqual([retry.postId]);
      expect(standIns.calls.filter((x) => x.method === 'CreateAIPost').map((x) => x.outcome)).toEqual(['LOST_RESPONSE', 'ok']);
    },
    T,
  );
});

describe('GetCharacterPosts, as post-service answers it', () => {
  test(
    'newest first, LIMIT/OFFSET with limit <= 0 meaning 10, total of all rows, media_url naming the media id',
    async () => {
      const { clients } = await start();
      const ch = await clients.character.createCharacter({ worldId: W, displayName: 'Ann' });
      const media: string[] = [];
      for (let i = 0; i < 12; i++) {
        const m = await confirmedMedia(clients, ch.id);
        media.push(m);
        await clients.post.createAIPost({ characterId: ch.id, caption: `post ${i}`, mediaId: m, worldId: W });
      }
      const first = await clients.post.getCharacterPosts({ characterId: ch.id, limit: 0 });
      expect(first.posts).toHaveLength(10);
      expect(first.total).toBe(12);
      expect(first.posts.map((p) => p.caption)).toEqual([11, 10, 9, 8, 7, 6, 5, 4, 3, 2].map((i) => `post ${i}`));
      const rest = await clients.post.getCharacterPosts({ characterId: ch.id, limit: 10, offset: 10 });
      expect(rest.posts.map((p) => p.caption)).toEqual(['post 1', 'post 0']);
      expect(rest.total).toBe(12);
      const last = rest.posts[1]!;
      expect(new URL(last.mediaUrl).pathname).toBe(`/generia-media/${W}/${ch.id}/posts/${media[0]}.jpg`);
      expect(last.displayName).toBe('Ann');
      expect(last.isAi).toBe(true);
      // Negative offset means 0; past the end: an empty page with total 0 (the Go code skips the count then).
      expect((await clients.post.getCharacterPosts({ characterId: ch.id, limit: 1, offset: -5 })).posts[0]?.caption).toBe('post 11');
      expect(await clients.post.getCharacterPosts({ characterId: ch.id, limit: 5, offset: 50 })).toMatchObject({ posts: [], total: 0 });
    },
    T,
  );

  test(
    'status codes: empty id INVALID_ARGUMENT, non-UUID id INTERNAL; a failing media-service call leaves media_url empty',
    async () => {
      const { standIns, clients } = await start();
      expect(await code(clients.post.getCharacterPosts({ characterId: '' }))).toBe(Code.InvalidArgument);
      expect(await code(clients.post.getCharacterPosts({ characterId: 'abc' }))).toBe(Code.Internal);
      expect(await clients.post.getCharacterPosts({ characterId: randomUUID() })).toMatchObject({ posts: [], total: 0 });
      const ch = await clients.character.createCharacter({ worldId: W, displayName: 'Ann' });
      const m = await confirmedMedia(clients, ch.id);
      await clients.post.createAIPost({ characterId: ch.id, caption: 'x', mediaId: m, worldId: W });
      standIns.faults.inject('GetMediaURL', { code: 'INTERNAL' });
      const page = await clients.post.getCharacterPosts({ characterId: ch.id, limit: 10 });
      expect(page.posts[0]?.mediaUrl).toBe('');
      expect((await clients.post.getCharacterPosts({ characterId: ch.id, limit: 10 })).posts[0]?.mediaUrl).toContain(m);
    },
    T,
  );
});

describe('lost-response faults commit first', () => {
  test(
    "'disconnect' drops the connection after the commit; the client reconnects for the next call",
    async () => {
      const { standIns, clients } = await start();
      standIns.faults.inject('CreateCharacter', { lostResponse: 'disconnect' });
      const failed = await code(clients.character.createCharacter({ worldId: W, displayName: 'Ann' }));
      expect([Code.Canceled, Code.Unavailable, Code.Internal, Code.DeadlineExceeded, Code.Aborted]).toContain(failed);
      expect(standIns.state.characters.size).toBe(1);
      await clients.character.createCharacter({ worldId: W, displayName: 'Bo' });
      expect(standIns.state.characters.size).toBe(2);
    },
    T,
  );
});
