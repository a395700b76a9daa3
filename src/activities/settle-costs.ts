/**
 * The world's cost sweep, for money paid by attempts that were never retried (the world was cancelled, or a step
 * ran out of attempts, between the provider's answer and the bookkeeping). Normally a retry settles its own
 * position (paid-request.ts); this settles the rest once the world's activities have stopped: every stored answer
 * whose cost is not applied yet is applied (keyed like the activity would have), and every image whose render was
 * asked for but never stored is looked up at Runware by its recorded task UUIDs — Runware bills a render whose
 * reply was lost or whose request we aborted. OpenRouter offers no such lookup, so an LLM answer that never
 * reached us stays uncounted (its request is counted in `api_calls_made_LLM`).
 *
 * Idempotent and cheap when there is nothing to do: one read of the world's `provider_calls` and one of its
 * applied cost keys.
 */
import type { ActivityDeps } from './deps';
import { findLostRender } from './lost-renders';
import { costKey } from './paid-request';
import { costOfRecord, renderCodec } from './paid-records';
import { withBudgetSettlement } from './spend-records';

export interface SettledCosts {
  /** Stored answers whose cost this sweep applied. */
  applied: number;
  /** Renders found at Runware and counted by this sweep. */
  recovered: number;
  /** Images whose render could not be decided (still processing, or the lookup failed); logged. */
  unresolved: number;
}

export async function settleWorldCosts(deps: Pick<ActivityDeps, 'repos' | 'runware' | 'config' | 'log'>, worldId: string, signal?: AbortSignal): Promise<SettledCosts> {
  const { providerCalls, status } = deps.repos;
  const settled: SettledCosts = { applied: 0, recovered: 0, unresolved: 0 };
  const positions = await providerCalls.loadWorld(worldId);
  if (positions.size === 0) return settled;
  const applied = await status.appliedKeys(worldId, 'cost:');

  for (const [position, state] of positions) {
    if (state.results.size > 0) {
      for (const [send, record] of state.results) {
        const key = costKey(position, send);
        if (applied.has(key)) continue;
        if (await status.applyOnce(worldId, key, withBudgetSettlement(costOfRecord(state.ref.provider, record), record))) settled.applied++;
      }
      continue;
    }
    if (state.ref.provider !== 'images' || state.taskUuids.length === 0) continue;
    try {
      const found = await findLostRender(deps, state.taskUuids, { waitMs: [], ...(signal ? { signal } : {}) });
      if (!found) continue;
      await providerCalls.markSent(state.ref, found.send, 'recovered');
      // Settled after the world's activities stopped: its budget no longer decides anything, so the render is
      // stored without a hold (the sweep cannot know whether its send had one) and settles no budget field.
      const stored = renderCodec.fromRecord(await providerCalls.storeResult(state.ref, found.send, renderCodec.toRecord(found.result)));
      if (await status.applyOnce(worldId, costKey(position, found.send), renderCodec.costOf(stored))) settled.recovered++;
    } catch (err) {
      settled.unresolved++;
      deps.log.warn('could not settle the cost of an image render', { world_id: worldId, position, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (settled.applied + settled.recovered + settled.unresolved > 0) deps.log.info('settled world costs', { world_id: worldId, ...settled });
  return settled;
}
