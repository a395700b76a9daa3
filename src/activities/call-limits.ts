import { PermanentStepError } from '../errors';
import type { Repositories } from '../repositories';
import { ErrorTypes } from '../domain/error-types';
import { budgetReachedReason } from '../domain/budget';

const LIMIT_FIELD = { llm: 'api_call_limits_LLM', images: 'api_call_limits_images' } as const;
const LABEL = { llm: 'LLM', images: 'image' } as const;

/** What a reservation holds against the world's budget. */
export interface BudgetHold {
  /** The world's budget; null = none. */
  budgetUsd: number | null;
  /** The expected cost reserved under the key (0 without a budget). */
  reservedUsd: number;
}

/** Expected cost of a call that has none: reserving it against a budget would be a silent zero. */
const noExpectation = (): number => {
  throw new PermanentStepError('this provider call has no expected cost, so it cannot be reserved against the world budget', ErrorTypes.missingData);
};

/**
 * Reserves one provider call against the world's limit — and, in a world with a budget, its expected cost against
 * the budget — before it is made (keyed, so a retry of the same request is not counted twice). At the limit or the
 * budget the world records why it stops and the step fails for good, with the call-limit failure type: the
 * workflows end a world at its budget exactly as at its call limit. A world never makes more calls than its
 * `api_call_limits_*`, and never sends a call whose expected cost would take it past its budget.
 */
export async function reserveProviderCall(
  status: Repositories['status'],
  worldId: string,
  kind: 'llm' | 'images',
  key: string,
  expectedUsd: () => number = noExpectation,
): Promise<BudgetHold> {
  const reservation = await status.reserveCall(worldId, kind, key, expectedUsd);
  if (reservation.outcome === 'limit_reached') {
    const doc = await status.get(worldId);
    const reason = `${LABEL[kind]} call limit of ${doc?.[LIMIT_FIELD[kind]] ?? '?'} reached`;
    await status.recordError(worldId, reason);
    throw new PermanentStepError(reason, ErrorTypes.callLimitReached);
  }
  if (reservation.outcome === 'budget_reached') {
    const reason = budgetReachedReason(reservation.budgetUsd ?? 0);
    await status.recordError(worldId, reason);
    throw new PermanentStepError(reason, ErrorTypes.callLimitReached);
  }
  if (reservation.outcome === 'missing') throw new PermanentStepError(`no generation status for world ${worldId}`, ErrorTypes.missingData);
  return { budgetUsd: reservation.budgetUsd, reservedUsd: reservation.reservedUsd };
}
