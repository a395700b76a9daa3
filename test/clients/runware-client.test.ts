import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import {
  contentTypeFor,
  createRunwareClient,
  extensionFor,
  type GenerateImageRequest,
  type ImageOutputFormat,
} from '../../src/clients/runware-client';
import { downloadImage } from '../../src/clients/image-download';
import {
  isProviderAbortedError,
  isProviderHttpError,
  isProviderResponseError,
  isProviderTimeoutError,
  type ProviderHttpError,
  type ProviderResponseError,
} from '../../src/clients/provider-errors';
import { startRunwareStandIn, type RunwareStandIn } from '../../dev/stand-ins/runware/index';

const API_KEY = 'rw-test-secret-key-987654';
let stand: RunwareStandIn;
beforeAll(async () => {
  stand = await startRunwareStandIn({ requireApiKey: API_KEY, costPerImage: 0.0013 });
});
afterAll(async () => {
  await stand.close();
});
beforeEach(() => stand.reset());

const client = (timeoutMs = 2000) => createRunwareClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs });
const req = (over: Partial<GenerateImageRequest> = {}): GenerateImageRequest => ({
  taskUUID: randomUUID(),
  positivePrompt: 'A lighthouse on a floating island at dusk',
  negativePrompt: 'blurry, watermark',
  model: 'runware:101@1',
  width: 512,
  height: 512,
  outputFormat: 'PNG',
  ...over,
});

async function catchErr(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

const MAGIC: Record<ImageOutputFormat, (b: Uint8Array) => boolean> = {
  PNG: (b) => [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a].every((x, i) => b[i] === x),
  JPG: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff && b.at(-2) === 0xff && b.at(-1) === 0xd9,
  WEBP: (b) =>
    new TextDecoder().decode(b.subarray(0, 4)) === 'RIFF' && new TextDecoder().decode(b.subarray(8, 12)) === 'WEBP',
};

describe('contentTypeFor / extensionFor', () => {
  test('map formats', () => {
    expect(contentTypeFor('JPG')).toBe('image/jpeg');
    expect(contentTypeFor('PNG')).toBe('image/png');
    expect(contentTypeFor('WEBP')).toBe('image/webp');
    expect(extensionFor('JPG')).toBe('jpg');
    expect(extensionFor('PNG')).toBe('png');
    expect(extensionFor('WEBP')).toBe('webp');
  });
});

describe('createRunwareClient + downloadImage against the Runware stand-in', () => {
  for (const format of ['PNG', 'JPG', 'WEBP'] as const) {
    test(`generate + download ${format}: magic bytes, content type, cost`, async () => {
      const r = req({ outputFormat: format });
      const img = await client().generateImage(r);
      expect(img.taskUUID).toBe(r.taskUUID);
      expect(img.cost).toBe(0.0013);
      expect(img.imageUUID).toBeString();
      expect(img.imageURL).toEndWith(`.${extensionFor(format)}`);
      const dl = await downloadImage(img.imageURL, { timeoutMs: 2000 });
      expect(dl.contentType).toBe(contentTypeFor(format));
      expect(MAGIC[format](dl.bytes)).toBe(true);

      const sent = stand.requests[0]!.tasks;
      expect(sent).toEqual([
        {
          taskType: 'imageInference',
          taskUUID: r.taskUUID,
          positivePrompt: r.positivePrompt,
          negativePrompt: 'blurry, watermark',
          model: 'runware:101@1',
          width: 512,
          height: 512,
          numberResults: 1,
          outputType: 'URL',
          outputFormat: format,
          includeCost: true,
        },
      ]);
    });
  }

  test('reportCost: false → cost null', async () => {
    const quiet = await startRunwareStandIn({ reportCost: false });
    try {
      const c = createRunwareClient({ baseUrl: quiet.url, apiKey: 'k-123456', timeoutMs: 2000 });
      const img = await c.generateImage(req());
      expect(img.cost).toBeNull();
    } finally {
      await quiet.close();
    }
  });

  test('errors array in a 200 → ProviderResponseError (retryable for provider codes)', async () => {
    stand.faults.push({ errors: true });
    const err = (await catchErr(client().generateImage(req()))) as ProviderResponseError;
    expect(isProviderResponseError(err)).toBe(true);
    expect(err.retryable).toBe(true);
    expect(err.provider).toBe('images');
    stand.faults.push({ errors: true, code: 'invalidModel' });
    const err2 = (await catchErr(client().generateImage(req()))) as ProviderResponseError;
    expect(err2.retryable).toBe(false);
  });

  test('invalid task → 400 ProviderHttpError with the errors in the snippet', async () => {
    const err = (await catchErr(client().generateImage(req({ width: 50 })))) as ProviderHttpError;
    expect(isProviderHttpError(err)).toBe(true);
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(err.bodySnippet).toContain('width');
    expect(err.bodySnippet).not.toContain(API_KEY);
  });

  test('429 with Retry-After → retryAfterMs', async () => {
    stand.faults.push({ status: 429, retryAfter: 2 });
    const err = (await catchErr(client().generateImage(req()))) as ProviderHttpError;
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(2000);
    expect(err.provider).toBe('images');
  });

  test('a Retry-After above the configured ceiling is cut to it (the requested value is kept)', async () => {
    stand.faults.push({ status: 429, retryAfter: 3600 });
    const capped = createRunwareClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs: 5000, retryAfterCeilingMs: 5000 });
    const err = (await catchErr(capped.generateImage(req()))) as ProviderHttpError;
    expect(err.retryAfterMs).toBe(5000);
    expect(err.requestedRetryAfterMs).toBe(3_600_000);
  });

  test('timeout and abort', async () => {
    stand.faults.push({ delayMs: 1000 });
    expect(isProviderTimeoutError(await catchErr(client(100).generateImage(req())))).toBe(true);
    stand.faults.push({ delayMs: 1000 });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    expect(isProviderAbortedError(await catchErr(client().generateImage(req({ signal: ac.signal }))))).toBe(true);
  });

  test('brokenImageUrl → download fails with ProviderHttpError 404 (provider images)', async () => {
    stand.faults.push({ brokenImageUrl: true });
    const img = await client().generateImage(req());
    const err = (await catchErr(downloadImage(img.imageURL, { timeoutMs: 2000 }))) as ProviderHttpError;
    expect(isProviderHttpError(err)).toBe(true);
    expect(err.status).toBe(404);
    expect(err.provider).toBe('images');
  });

  test('downloadImage maxBytes → permanent ProviderResponseError', async () => {
    const img = await client().generateImage(req());
    const err = (await catchErr(downloadImage(img.imageURL, { timeoutMs: 2000, maxBytes: 10 }))) as ProviderResponseError;
    expect(isProviderResponseError(err)).toBe(true);
    expect(err.retryable).toBe(false);
  });
});

describe('getResponse: finding a render whose reply was lost', () => {
  test('a finished render is found by its task UUID with its cost; lookups are free and not recorded as renders', async () => {
    const sent: string[] = [];
    const r = req();
    const img = await client().generateImage({ ...r, onSent: () => sent.push(r.taskUUID) });
    expect(sent).toEqual([r.taskUUID]);
    const found = await client().getResponse(r.taskUUID);
    expect(found).toEqual({ status: 'success', image: { imageURL: img.imageURL, imageUUID: img.imageUUID, cost: 0.0013, taskUUID: r.taskUUID, nsfw: null } });
    expect(stand.requests).toHaveLength(1);
    expect(stand.lookups.map((l) => l.answer)).toEqual(['success']);
  });

  test('a reply lost in transit (dropResponse) is still rendered and billed, and found afterwards', async () => {
    stand.faults.push({ dropResponse: true });
    const r = req();
    const err = await catchErr(client().generateImage(r));
    expect((err as Error).name).toBe('ProviderNetworkError');
    expect(stand.requests[0]!.cost).toBe(0.0013);
    const found = await client().getResponse(r.taskUUID);
    expect(found.status).toBe('success');
    if (found.status === 'success') expect(found.image.cost).toBe(0.0013);
  });

  test('processing while the render runs; failed for a task that errored; unknown for a UUID never sent', async () => {
    stand.setLatency(300);
    try {
      const r = req();
      const pending = client().generateImage(r);
      await new Promise((res) => setTimeout(res, 100));
      expect(await client().getResponse(r.taskUUID)).toEqual({ status: 'processing' });
      await pending;
    } finally {
      stand.setLatency(0);
    }
    stand.faults.push({ errors: true, code: 'provider' });
    const failed = req();
    await catchErr(client().generateImage(failed));
    expect(await client().getResponse(failed.taskUUID)).toEqual({ status: 'failed', code: 'provider' });
    expect(await client().getResponse(randomUUID())).toEqual({ status: 'unknown' });
  });

  test('a render the client aborted is still finished and billed (as Runware does), and can be found', async () => {
    stand.setLatency(200);
    try {
      const r = req();
      const aborted = new AbortController();
      const pending = catchErr(client().generateImage({ ...r, signal: aborted.signal }));
      await new Promise((res) => setTimeout(res, 50));
      aborted.abort();
      expect(isProviderAbortedError(await pending)).toBe(true);
      await new Promise((res) => setTimeout(res, 300));
      expect(stand.requests[0]!.cost).toBe(0.0013);
      expect((await client().getResponse(r.taskUUID)).status).toBe('success');
    } finally {
      stand.setLatency(0);
    }
  });

  test('a wrong API key is an error, not "unknown" (never a reason to pay again blindly)', async () => {
    const bad = createRunwareClient({ baseUrl: stand.url, apiKey: 'wrong', timeoutMs: 2000 });
    const err = (await catchErr(bad.getResponse(randomUUID()))) as ProviderHttpError;
    expect(isProviderHttpError(err)).toBe(true);
    expect(err.status).toBe(401);
    expect(err.message).not.toContain(API_KEY);
  });
});

describe('content safety (Runware `safety.checkContent` → `NSFWContent`)', () => {
  test('checkContent sends the safety object and reads NSFWContent; without it the field is absent (null)', async () => {
    const checked = await client().generateImage(req({ checkContent: true }));
    expect(stand.requests[0]!.tasks[0].safety).toEqual({ checkContent: true });
    expect(checked.nsfw).toBe(false);

    stand.flagContent({ times: 1 });
    const flagged = await client().generateImage(req({ checkContent: true }));
    expect(flagged.nsfw).toBe(true);
    expect(stand.flagged.has(flagged.imageUUID)).toBe(true);
    // getResponse reports the same verdict for the render.
    const found = await client().getResponse(flagged.taskUUID);
    expect(found.status === 'success' && found.image.nsfw).toBe(true);

    stand.flagContent({});
    const unchecked = await client().generateImage(req());
    expect(stand.requests.at(-1)!.tasks[0].safety).toBeUndefined();
    expect(unchecked.nsfw).toBeNull();
  });
});
