/**
 * Finding a Runware render that was made (and billed) but whose reply never reached us, by the task UUIDs recorded
 * before each request: used by a retried image activity before it pays again, and by the world's cost sweep.
 */
import { ProviderResponseError } from '../clients/provider-errors';
import type { PositionState } from '../repositories';
import type { ActivityDeps } from './deps';
import { renderedOf, type Rendered } from './paid-records';

/** How long a retry waits for a render Runware still reports as processing before giving up for this attempt. */
const PROCESSING_WAIT_MS = [1_000, 2_000, 4_000, 8_000];

/**
 * Asks Runware about every task UUID recorded for this image (newest first) before a second render is paid for.
 * A render still processing is waited for a little; if it is still running, the attempt fails (retryable) rather
 * than paying for a second one.
 */
export async function findLostRender(
  deps: Pick<ActivityDeps, 'runware' | 'config'>,
  recorded: PositionState['taskUuids'],
  opts: { signal?: AbortSignal; waitMs?: readonly number[] } = {},
): Promise<{ send: number; result: Rendered } | null> {
  const waits = opts.waitMs ?? PROCESSING_WAIT_MS;
  let processing = false;
  for (const { send, uuid } of [...recorded].reverse()) {
    for (let wait = 0; ; wait++) {
      const lookup = await deps.runware.getResponse(uuid, opts.signal);
      if (lookup.status === 'success') return { send, result: renderedOf(lookup.image, deps.config.images.fallbackCostUsd) };
      if (lookup.status !== 'processing') break;
      if (wait >= waits.length) {
        processing = true;
        break;
      }
      await new Promise((r) => setTimeout(r, waits[wait]));
    }
  }
  if (processing) {
    throw new ProviderResponseError({ provider: 'images', message: 'an earlier render of this image is still processing at Runware', retryable: true });
  }
  return null;
}
