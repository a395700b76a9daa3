/**
 * A local activity of the workflow role: may the world's orchestrator write its search attributes? An upsert of an
 * attribute the server does not have fails the workflow task over and over, so the orchestrator asks first
 * (src/workflows/world-search-attributes.ts); the answer is recorded in its history, so replays agree.
 */
import { Context } from '@temporalio/activity';
import { hasWorldSearchAttributes } from '../workflows/progress';

export interface SearchAttributeActivities {
  worldSearchAttributesRegistered(): Promise<boolean>;
}

export function createSearchAttributeActivities(): SearchAttributeActivities {
  // Attributes are not unregistered in practice: a yes is kept for the process, a no is asked again next world
  // (an operator may register them while the worker runs).
  let registered = false;
  return {
    async worldSearchAttributesRegistered() {
      if (registered) return true;
      const ctx = Context.current();
      const answer = await ctx.client.connection.operatorService.listSearchAttributes({ namespace: ctx.info.workflowNamespace });
      registered = hasWorldSearchAttributes(answer.customAttributes as Record<string, unknown> | null | undefined);
      return registered;
    },
  };
}
