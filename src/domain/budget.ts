/**
 * Per-world spending budgets in USD: the wording of the failure, and the reservation rule. Pure.
 *
 * A world with a budget keeps `budget_committed_usd` in its status document: every paid request adds its expected
 * cost before it is sent (in the same keyed, guarded increment that reserves the call against the call limit, so it
 * happens once per send however often an attempt runs), and its answer's cost key replaces that expectation with the
 * provider's figure (`actual − reserved`, one keyed increment). A request whose expected cost would take the
 * committed sum past the budget is not sent; the world fails with {@link budgetReachedReason}.
 * @module
 */
/** `$0.05`, `$1.25`, `$0.0012`: at least two decimals, at most six, no trailing zeros beyond two. */
export function formatUsd(amount: number): string {
  const fixed = amount.toFixed(6).replace(/0+$/, '');
  const [whole, decimals = ''] = fixed.split('.');
  return `$${whole}.${decimals.padEnd(2, '0')}`;
}

/** The reason a world stops at its budget (the status document's `error`). */
export const budgetReachedReason = (budgetUsd: number) => `budget of ${formatUsd(budgetUsd)} reached`;
