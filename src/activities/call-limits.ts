import { PermanentStepError } from '../errors';
import type { Repositories } from '../repositories';
import { ErrorTypes } from '../domain/error-types';

const LIMIT_FIELD = { llm: 'api_call_limits_LLM', images: 'api_call_limits_images' } as const;
const LABEL = { llm: 'LLM', images: 'image' } as const;

/**
 * Reserves one provider call against the world's limit before it is made (keyed, so a retry of the
 * same request is not counted twice). At the limit the world records why it stops and the step fails
 * for good: a world never makes more calls than its `api_call_limits_*`.
 */
export async function reserveProviderCall(status: Repositories['status'], worldId: string, kind: 'llm' | 'images', key: string): Promise<void> {
  const reservation = await status.reserveApiCall(worldId, kind, key);
  if (reservation === 'limit_reached') {
    const doc = await status.get(worldId);
    const reason = `${LABEL[kind]} call limit of ${doc?.[LIMIT_FIELD[kind]] ?? '?'} reached`;
    await status.recordError(worldId, reason);
    throw new PermanentStepError(reason, ErrorTypes.callLimitReached);
  }
  if (reservation === 'missing') throw new PermanentStepError(`no generation status for world ${worldId}`, ErrorTypes.missingData);
}
