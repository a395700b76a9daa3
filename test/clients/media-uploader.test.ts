/**
 * The media upload steps (presign → PUT → confirm) against the stand-ins over
 * real loopback gRPC and HTTP.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { Code, ConnectError, createClient, createRouterTransport } from '@connectrpc/connect';
import { createMediaUploader, type MediaUploader } from '../../src/clients/media-uploader';
import { toApplicationFailure } from '../../src/errors';
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
    'presign sends the key, but like the real media service the stand-in ignores it: a repeated presign is a new row',
    async () => {
      // That is why the image activity remembers its first presign instead of presigning again.
      const a = await uploader.presign(presignArgs('k1'));
      const b = await uploader.presign(presignArgs('k1'));
      expect(b.mediaId).not.toBe(a.mediaId);
      expect(standIns.state.media.size).toBe(2);
      expect(standIns.calls.map((c) => c.idempotencyKey)).toEqual(['k1', 'k1']);
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

/** Every text of an error that can leave the process: message, stack, cause chain, and what a logger prints. */
function everyText(err: unknown): string {
  const parts: string[] = [inspect(err, { depth: 10 })];
  for (let e = err as { message?: string; stack?: string; cause?: unknown } | undefined, i = 0; e && i < 10; e = e.cause as typeof e, i++) {
    parts.push(String(e.message), String(e.stack));
  }
  return parts.join('\n');
}

describe('no signature in upload failures', () => {
  const SIGNATURE = 'c0ffee00d15ea5e5b16b00b5deadbeef0123456789';
  let server: http.Server;
  let base: string;
  const received: string[] = [];

  beforeAll(async () => {
    // Plays an object store: /hang never answers, /s3 answers like S3 to a bad signature (it quotes the
    // signature it was given and the canonical query string).
    server = http.createServer((req, res) => {
      received.push(req.url ?? '');
      if (req.url?.startsWith('/hang')) return; // no answer at all
      const sig = new URL(req.url ?? '/', 'http://x').searchParams.get('X-Amz-Signature') ?? '';
      res.writeHead(403, { 'content-type': 'application/xml' }).end(
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match the signature you provided.</Message>` +
          `<SignatureProvided>${sig}</SignatureProvided><CanonicalRequest>PUT\n/bucket/h.png\nX-Amz-Signature=${sig}</CanonicalRequest><RequestId>${sig}</RequestId></Error>`,
      );
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, T);

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  }, T);

  const presigned = (path: string) =>
    `${base}${path}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261201&X-Amz-Signature=${SIGNATURE}`;

  test(
    'a PUT that times out: the error, its failure, cause chain and logged form never quote the signature',
    async () => {
      const u = createMediaUploader({ media: clients.media, httpTimeoutMs: 300 });
      const err = await rejection(u.put(presigned('/hang/h.png'), PNG, 'image/png'));
      expect(received.some((r) => r.includes(SIGNATURE))).toBe(true); // the real URL was used
      expect(err.name).toBe('UploadNetworkError');
      expect(err.message).toBe(`Upload PUT to ${base}/hang/h.png?[redacted] timed out`);
      const failure = toApplicationFailure(err, 'image post_image for task t1');
      expect(failure.nonRetryable).toBe(false);
      expect(failure.type).toBe('UploadFailed');
      // ky's TimeoutError ("Request timed out: PUT <url>") is still the cause, for its kind and stack.
      expect(everyText(failure)).toContain('TimeoutError');
      expect(everyText(failure)).not.toContain(SIGNATURE);
      expect(everyText(failure)).not.toContain('AKIAEXAMPLE');
    },
    T,
  );

  test(
    'a refused connection: no signature anywhere',
    async () => {
      const closed = http.createServer();
      await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((r) => closed.close(r));
      const u = createMediaUploader({ media: clients.media, httpTimeoutMs: 2_000 });
      const err = await rejection(u.put(`http://127.0.0.1:${port}/h.png?X-Amz-Signature=${SIGNATURE}`, PNG, 'image/png'));
      expect(err.name).toBe('UploadNetworkError');
      const failure = toApplicationFailure(err, 'upload');
      expect(failure.nonRetryable).toBe(false);
      expect(everyText(err)).not.toContain(SIGNATURE);
      expect(everyText(failure)).not.toContain(SIGNATURE);
    },
    T,
  );

  test(
    "an object store's 403 body that quotes the signature is masked in the error",
    async () => {
      const err = await rejection(uploader.put(presigned('/s3/h.png'), PNG, 'image/png'));
      expect(err).toMatchObject({ name: 'UploadHttpError', status: 403 });
      expect((err as unknown as { bodySnippet: string }).bodySnippet).toContain('SignatureDoesNotMatch');
      expect(everyText(err)).not.toContain(SIGNATURE);
      expect(everyText(toApplicationFailure(err, 'upload'))).not.toContain(SIGNATURE);
    },
    T,
  );
});
