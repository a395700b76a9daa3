/**
 * Finding a post again through GetCharacterPosts (src/activities/reconcile-posts.ts), against the stand-in's
 * post-service paging over loopback gRPC: matching on the media id inside media_url, paging to the end, staying
 * correct while other posts of the character are being created, and refusing to decide when a row is unreadable.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import type { Interceptor } from '@connectrpc/connect';
import { findPostByMedia, urlNamesMedia } from '../../src/activities/reconcile-posts';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { MediaType } from '../../src/gen/media/media_pb';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';

const T = 20_000;
const W = '33333333-3333-4333-8333-333333333333';
let standIns: ServiceStandIns;
let clients: ServiceClients;
/** Creates the fixture posts (a client of its own, so its calls never trigger `betweenPages`). */
let writer: ServiceClients;
/** Reads through the `betweenPages` hook. */
let reader: ServiceClients;
/** Runs after each GetCharacterPosts page arrives: lets a test create posts "concurrently" between pages. */
let betweenPages: (() => Promise<void>) | undefined;

beforeAll(async () => {
  standIns = await startServiceStandIns();
  const hook: Interceptor = (next) => async (req) => {
    const res = await next(req);
    if (req.method.name === 'GetCharacterPosts' && betweenPages) await betweenPages();
    return res;
  };
  clients = createServiceClients({ characterUrl: standIns.url, postUrl: standIns.url, mediaUrl: standIns.url, worldUrl: standIns.url, deadlineMs: 2_000 });
  writer = createServiceClients({ characterUrl: standIns.url, postUrl: standIns.url, mediaUrl: standIns.url, worldUrl: standIns.url, deadlineMs: 2_000 });
  reader = createServiceClients({ characterUrl: standIns.url, postUrl: standIns.url, mediaUrl: standIns.url, worldUrl: standIns.url, deadlineMs: 2_000, interceptors: [hook] });
}, T);

afterAll(async () => {
  for (const c of [clients, writer, reader]) await c?.close();
  await standIns?.close();
}, T);

beforeEach(() => {
  standIns.reset();
  betweenPages = undefined;
});

async function post(characterId: string, caption: string): Promise<{ postId: string; mediaId: string }> {
  const p = await writer.media.getPresignedUploadURL({ worldId: W, characterId, filename: 'generia_p.png', contentType: 'image/png', mediaType: MediaType.POST_IMAGE });
  await fetch(p.uploadUrl, { method: 'PUT', body: new Uint8Array([7]), headers: { 'content-type': 'image/png' } });
  await writer.media.confirmUpload({ mediaId: p.mediaId });
  const { postId } = await writer.post.createAIPost({ characterId, caption, mediaId: p.mediaId, worldId: W });
  return { postId, mediaId: p.mediaId };
}

describe('urlNamesMedia', () => {
  const id = 'a3c1e2f0-1111-4222-8333-444455556666';
  test('the object of the media id: original, with extension, or a variant; never another id', () => {
    expect(urlNamesMedia(`http://minio:9000/b/w/c/posts/${id}.jpg?X-Amz-Signature=s`, id)).toBe(true);
    expect(urlNamesMedia(`http://minio:9000/b/c/${id}_medium.jpg`, id)).toBe(true);
    expect(urlNamesMedia(`http://minio:9000/b/c/${id.toUpperCase()}`, id)).toBe(true);
    expect(urlNamesMedia(`http://minio:9000/b/${id}/posts/other.jpg`, id)).toBe(false);
    expect(urlNamesMedia(`http://minio:9000/b/c/${id}x.jpg`, id)).toBe(false);
    expect(urlNamesMedia('', id)).toBe(false);
    expect(urlNamesMedia('not a url', id)).toBe(false);
  });
});

describe('findPostByMedia', () => {
  test(
    'pages to the oldest post; absent when nothing matches',
    async () => {
      const ch = await writer.character.createCharacter({ worldId: W, displayName: 'Ann' });
      const made = [];
      for (let i = 0; i < 7; i++) made.push(await post(ch.id, `p${i}`));
      expect(await findPostByMedia(clients.post, ch.id, [made[0]!.mediaId], { pageSize: 3 })).toEqual({ kind: 'found', postId: made[0]!.postId });
      expect(await findPostByMedia(clients.post, ch.id, [randomUUID()], { pageSize: 3 })).toEqual({ kind: 'absent', scanned: 7 });
      expect(standIns.calls.filter((c) => c.method === 'GetCharacterPosts').length).toBe(6);
    },
    T,
  );

  test(
    'posts created between pages push older rows down but never make the search skip one',
    async () => {
      const ch = await writer.character.createCharacter({ worldId: W, displayName: 'Ann' });
      const oldest = await post(ch.id, 'oldest');
      for (let i = 0; i < 4; i++) await post(ch.id, `p${i}`);
      let pages = 0;
      betweenPages = async () => {
        if (pages++ < 2) for (let i = 0; i < 3; i++) await post(ch.id, `new ${pages}.${i}`);
      };
      expect(await findPostByMedia(reader.post, ch.id, [oldest.mediaId], { pageSize: 2 })).toEqual({ kind: 'found', postId: oldest.postId });
    },
    T,
  );

  test(
    'a row without media_url (media-service failed inside post-service) makes a miss inconclusive',
    async () => {
      const ch = await writer.character.createCharacter({ worldId: W, displayName: 'Ann' });
      await post(ch.id, 'a');
      await post(ch.id, 'b');
      standIns.faults.inject('GetMediaURL', { code: 'INTERNAL' });
      expect(await findPostByMedia(clients.post, ch.id, [randomUUID()])).toEqual({ kind: 'inconclusive', unreadable: 1, scanned: 2 });
    },
    T,
  );
});
