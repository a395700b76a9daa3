/**
 * The `ai-worker-images` queue: generate → download → presign → PUT → confirm, in one activity so
 * image bytes never pass through Temporal. The render is a paid request (`paidRequest`): its fresh
 * Runware task UUID is recorded before it is sent, the render is stored before its cost is counted,
 * and a retry first replays a stored render or asks Runware (`getResponse`) for one whose reply was
 * lost, before paying again. The media object is remembered in `side_effects` under a key derived
 * from the task and image kind, so a retry resumes after the last finished sub-step instead of
 * leaving an orphan media row (spec 15.10).
 *
 * Content safety: every render asks for Runware's own check (`safety.checkContent`). A render it flags is never
 * downloaded or uploaded; the image is rendered once more, at its own paid position (`…:q1`, counted and costed like
 * any render), from the same prompt with safety wording added. If that one is flagged too, the image fails
 * non-retryably (`ContentFlagged`) and its post or avatar fails like any other; the world goes on.
 */
import { Context } from '@temporalio/activity';
import { createHash, randomUUID } from 'node:crypto';
import { contentTypeFor, extensionFor } from '../clients/runware-client';
import { downloadImage } from '../clients/image-download';
import type { ImageKind } from '../domain/steps';
import { PermanentStepError, translateErrors } from '../errors';
import { MediaType } from '../gen/media/media_pb';
import { ErrorTypes } from '../domain/error-types';
import type { ImageActivities } from './contracts';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { resultOfStep, type ProviderCallRef } from '../repositories';
import type { GenerateImageRequest } from '../clients/runware-client';
import { durably, paidRequest } from './paid-request';
import { renderCodec, renderedOf, type Rendered } from './paid-records';
import { findLostRender } from './lost-renders';

/** About 30 s of retries (the activity heartbeats meanwhile): longer than a MongoDB restart or failover. */
const PRESIGN_RECORD_DELAYS_MS = [250, 500, 1_000, 2_000, 4_000, 8_000, 15_000];

const NEGATIVE_PROMPT = 'blurry, deformed, disfigured, bad anatomy, ugly, text, watermark';

/**
 * The second render of an image the safety check flagged: the same idea, steered away from what such checks flag.
 * Fixed wording (never generated text), so a retry sends the same request.
 */
const SAFER_PROMPT_SUFFIX = 'Safe for work, family-friendly, fully clothed, no nudity, no gore, no violence.';
const SAFER_NEGATIVE_PROMPT = `${NEGATIVE_PROMPT}, nsfw, nudity, sexual content, gore, blood, violence`;

export function saferPrompt(prompt: string): string {
  return `${prompt} ${SAFER_PROMPT_SUFFIX}`;
}

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

interface Presigned {
  mediaId: string;
  uploadUrl: string;
  expiresAt: number;
}

/** A stable UUID (v4 layout) from a string: file names that stay the same on every retry (never a Runware task UUID). */
export function uuidFromKey(key: string): string {
  const h = createHash('sha256').update(key).digest('hex');
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createImageActivities(deps: ActivityDeps): ImageActivities {
  const { sideEffects, tasks } = deps.repos;
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

        // Renders stored by an earlier release (before provider_calls) count as paid and counted.
        const legacy = attempt > 1 ? ((await sideEffects.find(`${base}:render`)) as Rendered | null) : null;
        const checkContent = deps.contentSafety ?? true;
        const request = {
          positivePrompt: prompt.trim(),
          negativePrompt: NEGATIVE_PROMPT,
          model: cfg.model,
          width: size.width,
          height: size.height,
          outputFormat: format,
          ...(checkContent ? { checkContent } : {}),
        };
        const render = (q: number, req: typeof request) =>
          renderOnce(deps, { ref: { worldId, taskId, position: `${base}:q${q}`, provider: 'images' }, kind, attempt, signal, request: req });
        let rendered = legacy ?? (await render(0, request));
        if (rendered.nsfw) {
          deps.log.warn('image flagged by the content safety check; rendering it once more with a safer prompt', { task_id: taskId, kind });
          // A position of its own: paid, counted and replayed exactly once, like the first render.
          rendered = await render(1, { ...request, positivePrompt: saferPrompt(request.positivePrompt), negativePrompt: SAFER_NEGATIVE_PROMPT });
          if (rendered.nsfw) {
            throw new PermanentStepError(
              `image ${kind} for task ${taskId} was flagged by the content safety check twice (the second time with a safer prompt); not uploaded`,
              ErrorTypes.contentFlagged,
            );
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
          // media-service ignores idempotency keys and has no look-up by anything but the id, so the id of the
          // row it just created exists only in this process until it is recorded: the write is retried for
          // longer than a database restart takes, so that an outage does not orphan the row (remember is idempotent).
          presigned = presigned
            ? fresh
            : ((await durably(`presign record of ${base}`, deps.log, () => sideEffects.remember(`${base}:presign`, { worldId, kind: 'media_presign', result: { ...fresh } }), PRESIGN_RECORD_DELAYS_MS)) as unknown as Presigned);
        }
        await deps.media.put(presigned.uploadUrl, bytes, contentType, signal);
        await deps.media.confirm(presigned.mediaId, `${base}:confirm:${presigned.mediaId}`, signal);
        const stored = (await sideEffects.remember(`${base}:media`, { worldId, kind: 'media', result: { mediaId: presigned.mediaId } })) as {
          mediaId: string;
        };
        // With the media id recorded a retry returns early, so the signed upload URL is never needed again: it is not
        // kept at rest. (Until then it must be: a retry re-uses the media row the service created at presign time.)
        await sideEffects.forgetResultField(`${base}:presign`, 'uploadUrl');
        return { mediaId: stored.mediaId };
      })),
  };
}

interface RenderArgs {
  ref: ProviderCallRef;
  kind: ImageKind;
  attempt: number;
  signal: AbortSignal;
  request: Omit<GenerateImageRequest, 'taskUUID' | 'signal' | 'onSent'>;
}

/** One paid render per image, however often the activity runs. */
async function renderOnce(deps: ActivityDeps, args: RenderArgs): Promise<Rendered> {
  const { ref, request, signal } = args;
  const cfg = deps.config.images;
  const taskUuids = new Map<number, string>();
  const { result } = await paidRequest<Rendered>(deps, {
    ref,
    // Fresh per request (Runware wants it unique per task), and durable before the request leaves, so a render
    // whose reply is lost can be found again by a retry.
    async prepare(send) {
      const taskUUID = randomUUID();
      taskUuids.set(send, taskUUID);
      await deps.repos.providerCalls.recordTaskUuid(ref, send, taskUUID);
    },
    async send({ send, onSent }) {
      const taskUUID = taskUuids.get(send);
      if (!taskUUID) throw new Error(`no task UUID recorded for send ${send} of ${ref.position}`);
      const image = await deps.runware.generateImage({ ...request, taskUUID, signal, onSent });
      return renderedOf(image, cfg.fallbackCostUsd);
    },
    // UUIDs this attempt made have not been sent yet; only earlier attempts' renders can be lost.
    recover: (state) => findLostRender(deps, state.taskUuids.filter((t) => taskUuids.get(t.send) !== t.uuid), { signal }),
    ...renderCodec,
    audit: ({ send, durationMs, result: rendered, error }) =>
      deps.repos.audit
        .record({
          _id: `${ref.position}:s${send}:a${args.attempt}`,
          api_type: 'image_generation',
          task_id: ref.taskId,
          world_id: ref.worldId,
          request_type: `image_${args.kind}`,
          request_data: {
            model: request.model,
            width: request.width,
            height: request.height,
            output_format: request.outputFormat,
            prompt_chars: request.positivePrompt.length,
          },
          response_data: rendered ? { image_uuid: rendered.imageUUID, cost: rendered.cost } : null,
          error: error ? String(error instanceof Error ? `${error.name}: ${error.message}` : error).slice(0, 1000) : null,
          duration_ms: Math.round(durationMs),
          prompt_tokens: null,
          completion_tokens: null,
          cost: rendered?.cost ?? null,
          attempt: args.attempt,
        })
        .then(() => undefined),
  });
  return result;
}
