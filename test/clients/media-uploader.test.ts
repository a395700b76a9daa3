/**
 * The media upload steps (presign → PUT → confirm) against the stand-ins over
 * real loopback gRPC and HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { createMediaUploader, type MediaUploader } from '../../src/clients/media-uploader';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { MediaService, MediaType } from '../../src/gen/media/media_pb';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';

const T = 15_000;
let standIns: ServiceStandIns;
let clients: ServiceClients;
let uploader: MediaUploader;

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);

const presignArgs = (key: string) => ({
  worldId: 'w1',
  characterId: '',
  filename: 'generia_test.png',
  contentType: 'image/png',
  size: 0,
  mediaType: MediaType.WORLD_HEADER,
  idempotencyKey: key,
});

async function rejection(p: Promise<unknown>): Promise<Error & { status?: number }> {
  try {
    await p;
  } catch (e) {
    return e as Error & { status?: number };
  }
  throw new Error('expected a rejection');
}

beforeAll(async () => {
  standIns = await startServiceStandIns();
  clients = createServiceClients({
    characterUrl: standIns.url,
    postUrl: standIns.url,
    mediaUrl: standIns.url,
    worldUrl: standIns.url,
    deadlineMs: 2_000,
  });
  uploader = createMediaUploader({ media: clients.media, httpTimeoutMs: 2_000 });
}, T);

afterAll(async () => {
  await clients?.close();
  await standIns?.close();
}, T);

beforeEach(() => standIns.reset());

describe('media uploader', () => {
  test(
    'presign → put → confirm stores the bytes and confirms the media',
    async () => {
      const p = await uploader.presign(presignArgs('wf/header/presign'));
      expect(p.mediaId).not.toBe('');
      expect(p.uploadUrl.startsWith(`${standIns.uploadBaseUrl}/upload/${p.mediaId}?token=`)).toBe(true);
      expect(p.expiresAt).toBeGreaterThan(Date.now() / 1000);
      expect(typeof p.expiresAt).toBe('number');

      const row = standIns.state.media.get(p.mediaId);
      expect(row).toMatchObject({ worldId: 'w1', characterId: '', mediaType: MediaType.WORLD_HEADER, confirmed: false });

      await uploader.put(p.uploadUrl, PNG, 'image/png');
      expect(row?.bytes).toEqual(PNG);
      expect(row?.uploadedContentType).toBe('image/png');

      await uploader.confirm(p.mediaId, 'wf/header/confirm');
      expect(row?.confirmed).toBe(true);

      const grpc = standIns.calls.filter((c) => c.method !== 'Upload');
      expect(grpc.map((c) => [c.method, c.idempotencyKey])).toEqual([
        ['GetPresignedUploadURL', 'wf/header/presign'],
        ['ConfirmUpload', 'wf/header/confirm'],
      ]);
      expect(grpc[0]?.request).toMatchObject({ worldId: 'w1', filename: 'generia_test.png', mediaType: 'MEDIA_TYPE_WORLD_HEADER' });
    },
    T,
  );

  test(
    'presign is idempotent per key: a retried presign reuses the media row',
    async () => {
      const a = await uploader.presign(presignArgs('k1'));
      const b = await uploader.presign(presignArgs('k1'));
      expect(b).toEqual(a);
      expect(standIns.state.media.size).toBe(1);
    },
    T,
  );

  test(
    'confirm before put fails with FAILED_PRECONDITION',
    async () => {
      const p = await uploader.presign(presignArgs('k2'));
      let err: unknown;
      try {
        await uploader.confirm(p.mediaId, 'k2c');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConnectError);
      expect(ConnectError.from(err).code).toBe(Code.FailedPrecondition);
      expect(standIns.state.media.get(p.mediaId)?.confirmed).toBe(false);
    },
    T,
  );

  test(
    'a non-2xx PUT throws UploadHttpError with the status',
    async () => {
      const p = await uploader.presign(presignArgs('k3'));
      standIns.faults.inject('Upload', { httpStatus: 503 });
      let err: unknown;
      try {
        await uploader.put(p.uploadUrl, PNG, 'image/png');
      } catch (e) {
        err = e;
      }
      expect((err as Error).name).toBe('UploadHttpError');
      expect((err as { status: number }).status).toBe(503);
      expect((err as Error).message).not.toContain('token=');
      // A bad signature is a 403, not a silent success.
      const bad = p.uploadUrl.replace(/token=[^&]+/, 'token=wrong');
      expect(await rejection(uploader.put(bad, PNG, 'image/png'))).toMatchObject({ name: 'UploadHttpError', status: 403 });
      expect(standIns.state.media.get(p.mediaId)?.bytes).toBeUndefined();
    },
    T,
  );

  test(
    'put accepts 201 and 204 and sends the bytes and content type (injected fetch)',
    async () => {
      for (const status of [201, 204]) {
        const seen: Array<{ method: string; type: string | null; body: Uint8Array }> = [];
        const fakeFetch = (async (input: string | URL | Request, init?: RequestInit) => {
          const req = input instanceof Request ? new Request(input, init) : new Request(String(input), init);
          seen.push({ method: req.method, type: req.headers.get('content-type'), body: new Uint8Array(await req.arrayBuffer()) });
          return new Response(null, { status });
        }) as typeof fetch;
        const u = createMediaUploader({ media: clients.media, httpTimeoutMs: 1_000, fetch: fakeFetch });
        await u.put('http://upload.invalid/x?token=t', PNG, 'image/png');
        expect(seen).toEqual([{ method: 'PUT', type: 'image/png', body: PNG }]);
      }
    },
    T,
  );

  test(
    'presign rejects an empty media_id or upload_url; confirm rejects success=false',
    async () => {
      const fake = (res: { mediaId: string; uploadUrl: string }, success: boolean) =>
        createClient(
          MediaService,
          createRouterTransport(({ service }) => {
            service(MediaService, {
              getPresignedUploadURL: () => ({ ...res, expiresAt: 1n }),
              confirmUpload: () => ({ success }),
            });
          }),
        );
      const noId = createMediaUploader({ media: fake({ mediaId: '', uploadUrl: 'http://x' }, true), httpTimeoutMs: 1_000 });
      expect((await rejection(noId.presign(presignArgs('a')))).message).toMatch(/media_id/);
      const noUrl = createMediaUploader({ media: fake({ mediaId: 'm', uploadUrl: '' }, true), httpTimeoutMs: 1_000 });
      expect((await rejection(noUrl.presign(presignArgs('a')))).message).toMatch(/upload_url/);
      const notOk = createMediaUploader({ media: fake({ mediaId: 'm', uploadUrl: 'u' }, false), httpTimeoutMs: 1_000 });
      expect((await rejection(notOk.confirm('m', 'k'))).message).toMatch(/success=false/);
    },
    T,
  );
});
