import ky from 'ky';
import { redactUrl } from '../domain/redact';
import { ProviderResponseError, toProviderError } from './provider-errors';

export interface DownloadImageOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Reject bodies larger than this. @default 20 MiB */
  maxBytes?: number;
  fetch?: typeof fetch;
}

export interface DownloadedImage {
  bytes: Uint8Array;
  /** `Content-Type` header without parameters, or null. */
  contentType: string | null;
}

const DEFAULT_MAX_BYTES = 20 * 1024 * 1024;

/**
 * GETs a generated image (provider 'images' for error mapping). The body is streamed with a size
 * cap; an empty body is a retryable ProviderResponseError, an oversized one a permanent one.
 */
export async function downloadImage(url: string, opts: DownloadImageOptions): Promise<DownloadedImage> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const ctx = { provider: 'images' as const, secrets: [], timeoutMs: opts.timeoutMs, signal: opts.signal };
  // Image URLs can be signed (CDN tokens in the query): messages name the URL without them.
  const shownUrl = redactUrl(url);
  const tooLarge = () =>
    new ProviderResponseError({
      provider: 'images',
      message: `image at ${shownUrl} exceeds ${maxBytes} bytes`,
      retryable: false,
    });
  try {
    const res = await ky.get(url, {
      timeout: opts.timeoutMs,
      retry: 0,
      ...(opts.signal ? { signal: opts.signal } : {}),
      ...(opts.fetch ? { fetch: opts.fetch } : {}),
    });
    const declared = Number(res.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > maxBytes) {
      await res.body?.cancel();
      throw tooLarge();
    }
    const chunks: Uint8Array[] = [];
    let total = 0;
    if (res.body) {
      const reader = res.body.getReader();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        total += value.byteLength;
        if (total > maxBytes) {
          await reader.cancel();
          throw tooLarge();
        }
        chunks.push(value);
      }
    }
    if (total === 0) {
      throw new ProviderResponseError({ provider: 'images', message: `image at ${shownUrl} is empty`, retryable: true });
    }
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const c of chunks) {
      bytes.set(c, offset);
      offset += c.byteLength;
    }
    const contentType = res.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase() || null;
    return { bytes, contentType };
  } catch (err) {
    throw toProviderError(err, ctx);
  }
}
