/**
 * What the cost ledger keeps beside each paid answer in `provider_calls` (the fields the provider codecs in
 * paid-records.ts do not know about), and how a stored answer settles the world's budget.
 */
import type { CounterIncrements } from '../repositories';
import { costFromPrice, expectedChatTokens, type PriceTable } from '../domain/pricing';
import { ErrorTypes } from '../domain/error-types';
import { PermanentStepError } from '../errors';
import type { BudgetHold } from './call-limits';

/** Extra fields of a stored answer: the model asked for (the provider may answer with a versioned id) and the hold. */
export function ledgerFields(hold: BudgetHold | undefined, model: string | undefined): Record<string, unknown> {
  return {
    ...(model ? { requested_model: model } : {}),
    // Only in worlds with a budget: the settlement below replaces exactly this amount with the real cost.
    ...(hold && hold.budgetUsd !== null ? { reserved_usd: hold.reservedUsd } : {}),
  };
}

/**
 * The increments of a stored answer's cost key, with the budget settled: the reservation the answer's send held is
 * replaced by the answer's real cost (`actual − reserved`, negative when it cost less than expected). Answers of
 * worlds without a budget carry no `reserved_usd` and touch no budget field. Every cost key also counts its answer
 * in `api_calls_costed` ({@link countedCost}): this is the increment of every stored answer's cost key (paid-request.ts
 * and the world's cost sweep).
 */
export function withBudgetSettlement(increments: CounterIncrements, record: Record<string, unknown>): CounterIncrements {
  const reserved = record.reserved_usd;
  if (typeof reserved !== 'number' || !Number.isFinite(reserved)) return countedCost(increments);
  const actual = (increments.llm_cost_total ?? 0) + (increments.image_cost_total ?? 0);
  return countedCost({ ...increments, budget_committed_usd: actual - reserved });
}

/**
 * A cost key's increments plus one `api_calls_costed`, in the same keyed increment: the counter moves exactly when
 * (and as often as) a stored answer's cost key is applied, so it never runs ahead of the costs it vouches for. The
 * world's cost sweep compares it with the reservations made (settle-costs.ts `nothingToSettle`).
 */
export function countedCost(increments: CounterIncrements): CounterIncrements {
  return { ...increments, api_calls_costed: 1 };
}

/**
 * What a chat request is expected to cost before it is sent (for a world with a budget): its expected tokens
 * (src/domain/pricing.ts — the messages and schema it sends, its `max_tokens` as output) at the model's price.
 * A model without a price cannot be reserved: the step fails for good, naming the model and the variable.
 */
export function expectedChatCostUsd(
  prices: PriceTable | undefined,
  req: { model: string; messages: readonly { content: string }[]; jsonSchema?: { schema: object }; maxTokens: number },
): number {
  const price = prices?.[req.model];
  if (!price) {
    throw new PermanentStepError(
      `the world has a budget but model ${JSON.stringify(req.model)} has no price: add it to LLM_PRICES (USD per million input and output tokens)`,
      ErrorTypes.invalidInput,
    );
  }
  const tokens = expectedChatTokens({ messages: req.messages, ...(req.jsonSchema ? { schema: req.jsonSchema.schema } : {}), maxTokens: req.maxTokens });
  return costFromPrice(price, tokens.promptTokens, tokens.completionTokens);
}
