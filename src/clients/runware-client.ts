import ky from 'ky';
import { flagRefused } from './connection-refused';
import { sentHook } from './llm-client';
import { ProviderHttpError, ProviderResponseError, snippet, toProviderError } from './provider-errors';

export type ImageOutputFormat = 'JPG' | 'PNG' | 'WEBP';

/** MIME type of a Runware output format. */
export function contentTypeFor(format: ImageOutputFormat): 'image/jpeg' | 'image/png' | 'image/webp' {
  switch (format) {
    case 'JPG':
      return 'image/jpeg';
    case 'PNG':
      return 'image/png';
    case 'WEBP':
      return 'image/webp';
  }
}

/** File extension (no dot) of a Runware output format. */
export function extensionFor(format: ImageOutputFormat): 'jpg' | 'png' | 'webp' {
  switch (format) {
    case 'JPG':
      return 'jpg';
    case 'PNG':
      return 'png';
    case 'WEBP':
      return 'webp';
  }
}

export interface RunwareClientOptions {
  /** REST endpoint, e.g. `https://api.runware.ai/v1` (or a stand-in's URL). */
  baseUrl: string;
  apiKey: string;
  timeoutMs: number;
  /** Longest `Retry-After` honoured (PROVIDER_RETRY_AFTER_MAX_MS); unset → the provider-errors default. */
  retryAfterCeilingMs?: number;
  fetch?: typeof fetch;
}

export interface GenerateImageRequest {
  /**
   * UUIDv4 chosen by the caller, fresh for every request (Runware requires it unique per task); record it before
   * sending so a render whose reply is lost can be found again with {@link RunwareClient.getResponse}.
   */
  taskUUID: string;
  positivePrompt: string;
  negativePrompt?: string;
  model: string;
  width: number;
  height: number;
  outputFormat: ImageOutputFormat;
  /**
   * Ask Runware to check the render for sensitive content (`safety: { checkContent: true }`, "fast" mode); the answer
   * then carries `NSFWContent` (see {@link GeneratedImage.nsfw}). The image is still returned: deciding is ours.
   */
  checkContent?: boolean;
  signal?: AbortSignal;
  /** Called once, just before the request is handed to fetch. */
  onSent?: () => unknown;
}

export interface GeneratedImage {
  imageURL: string;
  imageUUID: string;
  /** Runware-reported cost (USD); null when not reported. */
  cost: number | null;
  taskUUID: string;
  /**
   * Runware's `NSFWContent`: true when its safety check flagged the render, false when it passed, null when no check
   * was asked for (Runware omits the field then).
   */
  nsfw: boolean | null;
}

/**
 * What Runware knows about an earlier task: its render, still processing, failed, or nothing (Runware documents the
 * `getResponse` answer for tasks it has; for a UUID it does not know, any answer without that UUID counts as unknown).
 */
export type TaskLookup =
  | { status: 'success'; image: GeneratedImage }
  | { status: 'processing' }
  | { status: 'failed'; code: string }
  | { status: 'unknown' };

export interface RunwareClient {
  generateImage(req: GenerateImageRequest): Promise<GeneratedImage>;
  /** `getResponse` for one task UUID; free, and never starts a render. */
  getResponse(taskUUID: string, signal?: AbortSignal): Promise<TaskLookup>;
}

/** Runware error codes its own SDK treats as transient. */
const RETRYABLE_CODES = new Set(['rateLimit', 'provider', 'timeout', 'serverError', 'connection']);

interface RunwareEnvelope {
  data?: Array<{ taskUUID?: unknown; imageUUID?: unknown; imageURL?: unknown; cost?: unknown; status?: unknown; NSFWContent?: unknown }>;
  errors?: Array<{ code?: unknown; message?: unknown; taskUUID?: unknown; status?: unknown }>;
  error?: { code?: unknown; message?: unknown } | string;
}

/**
 * Runware REST client for one `imageInference` task per call (numberResults 1, outputType URL,
 * includeCost). ky with `retry: 0`: Temporal owns retries. Note that Runware bills an aborted
 * generation anyway.
 */
export function createRunwareClient(opts: RunwareClientOptions): RunwareClient {
  const http = ky.create({
    timeout: opts.timeoutMs,
    retry: 0,
    headers: { authorization: `Bearer ${opts.apiKey}` },
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const secrets = [opts.apiKey];

  return {
    async generateImage(req) {
      const task: Record<string, unknown> = {
        taskType: 'imageInference',
        taskUUID: req.taskUUID,
        positivePrompt: req.positivePrompt,
        ...(req.negativePrompt ? { negativePrompt: req.negativePrompt } : {}),
        model: req.model,
        width: req.width,
        height: req.height,
        numberResults: 1,
        outputType: 'URL',
        outputFormat: req.outputFormat,
        includeCost: true,
        // Runware's documented safety option: with `mode` unset, `checkContent` means the fast check (one per image).
        ...(req.checkContent ? { safety: { checkContent: true } } : {}),
      };
      const ctx = { provider: 'images' as const, secrets, timeoutMs: opts.timeoutMs, signal: req.signal, retryAfterCeilingMs: opts.retryAfterCeilingMs };
      let text: string;
      try {
        const res = await http.post(opts.baseUrl, { json: [task], ...(req.signal ? { signal: req.signal } : {}), ...sentHook(req.onSent) });
        text = await res.text();
      } catch (err) {
        throw flagRefused(toProviderError(err, ctx), err);
      }

      let env: RunwareEnvelope;
      try {
        env = JSON.parse(text) as RunwareEnvelope;
      } catch (err) {
        throw new ProviderResponseError({
          provider: 'images',
          message: 'Runware answered with a non-JSON body',
          retryable: true,
          bodySnippet: snippet(text, secrets),
          cause: err,
        });
      }
      if (Array.isArray(env?.errors) && env.errors.length > 0) {
        const codes = env.errors.map((e) => String(e?.code ?? ''));
        throw new ProviderResponseError({
          provider: 'images',
          message: `Runware returned errors: ${snippet(env.errors.map((e) => `${String(e?.code)}: ${String(e?.message)}`).join('; '), secrets, 300)}`,
          retryable: codes.some((c) => RETRYABLE_CODES.has(c)),
          bodySnippet: snippet(env, secrets),
        });
      }
      if (env?.error) {
        const code = typeof env.error === 'object' ? env.error.code : undefined;
        const numeric = typeof code === 'number' ? code : typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : NaN;
        if (numeric >= 400 && numeric <= 599) {
          throw new ProviderHttpError({ provider: 'images', status: numeric, bodySnippet: snippet(env, secrets), code: numeric });
        }
        throw new ProviderResponseError({
          provider: 'images',
          message: `Runware returned an error: ${snippet(env.error, secrets, 300)}`,
          retryable: typeof code === 'string' && RETRYABLE_CODES.has(code),
          bodySnippet: snippet(env, secrets),
        });
      }
      const item = Array.isArray(env?.data) ? env.data.find((d) => d?.taskUUID === req.taskUUID) : undefined;
      if (!item || typeof item.imageURL !== 'string' || item.imageURL === '') {
        throw new ProviderResponseError({
          provider: 'images',
          message: `Runware answer has no image for task ${req.taskUUID}`,
          retryable: true,
          bodySnippet: snippet(env, secrets),
        });
      }
      return imageOf(item as ImageItem, req.taskUUID);
    },

    async getResponse(taskUUID, signal) {
      const ctx = { provider: 'images' as const, secrets, timeoutMs: opts.timeoutMs, signal, retryAfterCeilingMs: opts.retryAfterCeilingMs };
      let status: number;
      let text: string;
      try {
        // Read 4xx bodies ourselves: an unknown task may be answered with an error status.
        const res = await http.post(opts.baseUrl, {
          json: [{ taskType: 'getResponse', taskUUID }],
          throwHttpErrors: false,
          ...(signal ? { signal } : {}),
        });
        status = res.status;
        text = await res.text();
      } catch (err) {
        throw flagRefused(toProviderError(err, ctx), err);
      }
      if (status === 401 || status === 402 || status === 403 || status === 408 || status === 429 || status >= 500) {
        throw new ProviderHttpError({ provider: 'images', status, bodySnippet: snippet(text, secrets) });
      }
      let env: RunwareEnvelope;
      try {
        env = JSON.parse(text) as RunwareEnvelope;
      } catch (err) {
        throw new ProviderResponseError({ provider: 'images', message: 'Runware answered getResponse with a non-JSON body', retryable: true, bodySnippet: snippet(text, secrets), cause: err });
      }
      const item = Array.isArray(env?.data) ? env.data.find((d) => d?.taskUUID === taskUUID) : undefined;
      if (item && typeof item.imageURL === 'string' && item.imageURL !== '') {
        return { status: 'success', image: imageOf(item as ImageItem, taskUUID) };
      }
      if (item && item.status === 'processing') return { status: 'processing' };
      const failed = Array.isArray(env?.errors) ? env.errors.find((e) => e?.taskUUID === taskUUID && e?.status === 'error') : undefined;
      if (failed) return { status: 'failed', code: String(failed.code ?? '') };
      return { status: 'unknown' };
    },
  };
}

type ImageItem = NonNullable<RunwareEnvelope['data']>[number] & { imageURL: string };

function imageOf(item: ImageItem, taskUUID: string): GeneratedImage {
  return {
    imageURL: item.imageURL,
    imageUUID: typeof item.imageUUID === 'string' ? item.imageUUID : '',
    cost: typeof item.cost === 'number' && Number.isFinite(item.cost) ? item.cost : null,
    taskUUID,
    nsfw: typeof item.NSFWContent === 'boolean' ? item.NSFWContent : null,
  };
}
