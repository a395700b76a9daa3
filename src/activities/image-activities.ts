/**
 * The `ai-worker-images` queue: generate → download → presign → PUT → confirm, in one activity so
 * image bytes never pass through Temporal. Each sub-step that costs money or creates something
 * (the generation, the media object) is remembered in `side_effects` under a key derived from the
 * task and image kind, so a retry resumes after the last finished sub-step instead of paying for a
 * second image or leaving an orphan media row (spec 15.10).
 */
import { Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { contentTypeFor, extensionFor } from '../clients/runware-client';
import { downloadImage } from '../clients/image-download';
import type { ImageKind } from '../domain/steps';
import { PermanentStepError, translateErrors } from '../errors';
import { MediaType } from '../gen/media/media_pb';
import { ErrorTypes } from '../domain/error-types';
import type { ImageActivities } from './contracts';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { resultOfStep } from '../repositories';
import { reserveProviderCall } from './call-limits';

const NEGATIVE_PROMPT = 'blurry, deformed, disfigured, bad anatomy, ugly, text, watermark';

const MEDIA_TYPE: Record<ImageKind, MediaType> = {
  world_header: MediaType.WORLD_HEADER,
  world_icon: MediaType.WORLD_ICON,
  character_avatar: MediaType.CHARACTER_AVATAR,
  post_image: MediaType.POST_IMAGE,
};

/** Where each kind's prompt was stored by the LLM step that wrote it. */
const PROMPT_SOURCE: Record<ImageKind, { step: string; field: string }> = {
  world_header: { step: 'world_image_prompts', field: 'header_prompt' },
  world_icon: { step: 'world_image_prompts', field: 'icon_prompt' },
  character_avatar: { step: 'avatar_prompt', field: 'prompt' },
  post_image: { step: 'post_image_prompt', field: 'prompt' },
};

interface Rendered {
  imageURL: string;
  imageUUID: string;
  cost: number;
}
interface Presigned {
  mediaId: string;
  uploadUrl: string;
  expiresAt: number;
}

/** A stable UUID (v4 layout) from a string, so the provider sees the same task id on every retry. */
export function uuidFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createImageActivities(deps: ActivityDeps): ImageActivities {
  const { sideEffects, status, tasks, audit } = deps.repos;
  const cfg = deps.config.images;

  return {
    renderImage: ({ taskId, kind }) =>
      translateErrors(`image ${kind} for task ${taskId}`, () => withHeartbeat(async () => {
        const ctx = Context.current();
        const attempt = ctx.info.attempt;
        const signal = ctx.cancellationSignal;
        const base = `image:${taskId}:${kind}`;

        const done = await sideEffects.find(`${base}:media`);
        if (done) return { mediaId: String((done as { mediaId: string }).mediaId) };

        const task = await tasks.require(taskId);
        const worldId = task.world_id;
        const source = PROMPT_SOURCE[kind];
        const prompt = String(resultOfStep<Record<string, unknown>>(task, source.step)[source.field] ?? '');
        if (!prompt.trim()) throw new PermanentStepError(`task ${taskId} has no ${source.step}.${source.field} prompt`, ErrorTypes.missingData);
        const size = cfg.sizes[kind];
        const format = cfg.outputFormat;

        let rendered = (await sideEffects.find(`${base}:render`)) as Rendered | null;
        if (!rendered) {
          await reserveProviderCall(status, worldId, 'images', `${base}:a${attempt}`);
          const started = performance.now();
          let error: unknown = null;
          try {
            const image = await deps.runware.generateImage({
              taskUUID: uuidFromKey(base),
              positivePrompt: prompt.trim(),
              negativePrompt: NEGATIVE_PROMPT,
              model: cfg.model,
              width: size.width,
              height: size.height,
              outputFormat: format,
              signal,
            });
            // The provider's own figure is the truth; the configured price is only a fallback.
            const cost = image.cost ?? cfg.fallbackCostUsd;
            await status.applyOnce(worldId, `cost:${base}:a${attempt}`, { image_cost_total: cost });
            rendered = (await sideEffects.remember(`${base}:render`, {
              worldId,
              kind: 'image_render',
              result: { imageURL: image.imageURL, imageUUID: image.imageUUID, cost },
            })) as unknown as Rendered;
          } catch (err) {
            error = err;
            throw err;
          } finally {
            await audit.record({
              _id: `${base}:a${attempt}`,
              api_type: 'image_generation',
              task_id: taskId,
              world_id: worldId,
              request_type: `image_${kind}`,
              request_data: { model: cfg.model, width: size.width, height: size.height, output_format: format, prompt_chars: prompt.length },
              response_data: rendered ? { image_uuid: rendered.imageUUID, cost: rendered.cost } : null,
              error: error ? String(error instanceof Error ? `${error.name}: ${error.message}` : error).slice(0, 1000) : null,
              duration_ms: Math.round(performance.now() - started),
              prompt_tokens: null,
              completion_tokens: null,
              cost: rendered?.cost ?? null,
              attempt,
            });
          }
        }

        const { bytes } = await downloadImage(rendered.imageURL, { timeoutMs: cfg.httpTimeoutMs, signal });
        const contentType = contentTypeFor(format);
        const characterId = (task.parameters as { character_id?: string }).character_id ?? '';

        // Presign once per image: the media service creates the media row at presign time.
        let presigned = (await sideEffects.find(`${base}:presign`)) as Presigned | null;
        if (!presigned || presigned.expiresAt * 1000 < Date.now() + 60_000) {
          const fresh = await deps.media.presign({
            worldId,
            characterId,
            filename: `${kind}-${uuidFromKey(base)}.${extensionFor(format)}`,
            contentType,
            size: bytes.byteLength,
            mediaType: MEDIA_TYPE[kind],
            // A new key once the old URL has expired: the old media row was never confirmed.
            idempotencyKey: presigned ? `${base}:presign:${attempt}` : `${base}:presign`,
            signal,
          });
          presigned = presigned
            ? fresh
            : ((await sideEffects.remember(`${base}:presign`, { worldId, kind: 'media_presign', result: { ...fresh } })) as unknown as Presigned);
        }
        await deps.media.put(presigned.uploadUrl, bytes, contentType, signal);
        await deps.media.confirm(presigned.mediaId, `${base}:confirm:${presigned.mediaId}`, signal);
        const stored = (await sideEffects.remember(`${base}:media`, { worldId, kind: 'media', result: { mediaId: presigned.mediaId } })) as {
          mediaId: string;
        };
        return { mediaId: stored.mediaId };
      })),
  };
}
