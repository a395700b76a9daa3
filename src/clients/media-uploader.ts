/**
 * The media-service side of the image upload sequence (reference spec 8.2,
 * steps 3, 5 and 6): presign → HTTP PUT of the bytes → confirm.
 *
 * The steps are separate functions so the caller (an activity) can memoize each
 * one: presign creates a media row server-side, so a retried activity must reuse
 * the first media id rather than presign again. Presign and confirm send the
 * caller's idempotency key as the `idempotency-key` header for the same reason.
 *
 * @example
 * ```ts
 * const uploader = createMediaUploader({ media: clients.media, httpTimeoutMs: 60_000 });
 * const { mediaId, uploadUrl } = await uploader.presign({ worldId, characterId: '', filename,
 *   contentType: 'image/png', size: 0, mediaType: MediaType.WORLD_HEADER, idempotencyKey });
 * await uploader.put(uploadUrl, bytes, 'image/png');
 * await uploader.confirm(mediaId, idempotencyKey);
 * ```
 */
import ky from 'ky';
import type { Client } from '@connectrpc/connect';
import { redactedErrorChain, redactText, redactUrl, secretsOfUrl } from '../domain/redact';
import type { MediaService, MediaType } from '../gen/media/media_pb';
import { idempotencyHeaders } from './service-clients';

export interface PresignArgs {
  worldId: string;
  /** Empty for world-level media (header, icon). */
  characterId: string;
  filename: string;
  contentType: string;
  /** Byte size; the reference sends 0 (the server does not check it). */
  size: number;
  mediaType: MediaType;
  idempotencyKey: string;
  signal?: AbortSignal;
}

export interface PresignResult {
  mediaId: string;
  uploadUrl: string;
  /** Unix seconds. */
  expiresAt: number;
}

export interface MediaUploader {
  /** GetPresignedUploadURL; validates that media_id and upload_url are non-empty. */
  presign(args: PresignArgs): Promise<PresignResult>;
  /**
   * HTTP PUT of the raw bytes to the presigned URL, no retries (the caller's
   * Temporal retry policy owns retries). Success on 200/201/204; otherwise throws
   * an {@link UploadHttpError}; timeouts and network errors throw an {@link UploadNetworkError}.
   * Neither error's message, stack or properties contain the URL's query (its signature).
   */
  put(uploadUrl: string, bytes: Uint8Array, contentType: string, signal?: AbortSignal): Promise<void>;
  /** ConfirmUpload; throws if the service answers success=false. */
  confirm(mediaId: string, idempotencyKey: string, signal?: AbortSignal): Promise<void>;
}

export interface MediaUploaderOptions {
  media: Client<typeof MediaService>;
  /** Per-attempt timeout of the HTTP PUT (the reference used 60 s). */
  httpTimeoutMs: number;
  /** Injectable fetch (tests); defaults to the global fetch. */
  fetch?: typeof fetch;
}

const PUT_SUCCESS = new Set([200, 201, 204]);

/** The presigned PUT answered with a status other than 200/201/204. */
export class UploadHttpError extends Error {
  override readonly name = 'UploadHttpError';
  constructor(
    readonly status: number,
    readonly url: string,
    readonly bodySnippet: string,
  ) {
    super(`Upload PUT failed with HTTP ${status}${bodySnippet ? `: ${bodySnippet}` : ''}`);
  }
}

/**
 * The presigned PUT got no answer (timeout, refused, reset). Wraps ky's error, whose message quotes the
 * full URL, signature included (and Bun's fetch error carries it in `path`): the message here names the
 * redacted URL, and the cause is a redacted copy kept for its kind and stack.
 */
export class UploadNetworkError extends Error {
  override readonly name = 'UploadNetworkError';
  constructor(
    readonly url: string,
    readonly kind: 'timeout' | 'network',
    options?: { cause?: unknown },
  ) {
    super(kind === 'timeout' ? `Upload PUT to ${url} timed out` : `Upload PUT to ${url} failed: no response`, options);
  }
}

/** Presign/confirm answered but the answer is unusable (empty ids, success=false). */
export class MediaServiceResponseError extends Error {
  override readonly name = 'MediaServiceResponseError';
}

export function createMediaUploader(opts: MediaUploaderOptions): MediaUploader {
  const { media, httpTimeoutMs } = opts;
  const http = ky.create({
    retry: 0,
    timeout: httpTimeoutMs,
    throwHttpErrors: false,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });

  return {
    async presign(args) {
      const res = await media.getPresignedUploadURL(
        {
          worldId: args.worldId,
          characterId: args.characterId,
          filename: args.filename,
          contentType: args.contentType,
          size: BigInt(args.size),
          mediaType: args.mediaType,
        },
        { ...idempotencyHeaders(args.idempotencyKey), ...(args.signal ? { signal: args.signal } : {}) },
      );
      if (!res.mediaId || !res.uploadUrl) {
        throw new MediaServiceResponseError(
          `GetPresignedUploadURL returned an empty ${!res.mediaId ? 'media_id' : 'upload_url'}`,
        );
      }
      return { mediaId: res.mediaId, uploadUrl: res.uploadUrl, expiresAt: Number(res.expiresAt) };
    },

    async put(uploadUrl, bytes, contentType, signal) {
      const shownUrl = redactUrl(uploadUrl);
      let res: Response;
      try {
        res = await http.put(uploadUrl, {
          body: bytes,
          headers: { 'content-type': contentType },
          ...(signal ? { signal } : {}),
        });
      } catch (err) {
        if (signal?.aborted) throw err; // cancellation: the activity reports it as such
        const name = (err as { name?: unknown } | null)?.name;
        throw new UploadNetworkError(shownUrl, name === 'TimeoutError' ? 'timeout' : 'network', { cause: redactedErrorChain(err) });
      }
      if (PUT_SUCCESS.has(res.status)) {
        await res.body?.cancel();
        return;
      }
      let snippet = '';
      try {
        // Object stores echo the rejected request in their error bodies (S3's SignatureDoesNotMatch
        // quotes the signature and the canonical query), so the URL's own secret values are masked too.
        snippet = redactText(await res.text(), secretsOfUrl(uploadUrl)).slice(0, 200);
      } catch {
        // Body unreadable; the status is what matters.
      }
      throw new UploadHttpError(res.status, shownUrl, snippet);
    },

    async confirm(mediaId, idempotencyKey, signal) {
      const res = await media.confirmUpload(
        { mediaId },
        { ...idempotencyHeaders(idempotencyKey), ...(signal ? { signal } : {}) },
      );
      if (!res.success) {
        throw new MediaServiceResponseError(`ConfirmUpload returned success=false for media ${mediaId}`);
      }
    },
  };
}
