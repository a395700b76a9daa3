/**
 * The world's cost sweep, for money paid by attempts that were never retried (the world was cancelled, or a step
 * ran out of attempts, between the provider's answer and the bookkeeping). Normally a retry settles its own
 * position (paid-request.ts); this settles the rest once the world's activities have stopped: every stored answer
 * whose cost is not applied yet is applied (keyed like the activity would have), and every image whose render was
 * asked for but never stored is looked up at Runware by its recorded task UUIDs — Runware bills a render whose
 * reply was lost or whose request we aborted. OpenRouter offers no such lookup, so an LLM answer that never
 * reached us stays uncounted (its request is counted in `api_calls_made_LLM`).
 *
 * Idempotent, and free when there is nothing to do: the status document proves it (`nothingToSettle`), and only
 * otherwise are the world's `provider_calls` and its applied cost keys read (two scans of large collections; on
 * FerretDB/SQLite seconds on the world's critical path).
 */
import type { GenerationStatus } from '../repositories';
import type { ActivityDeps } from './deps';
import { findLostRender } from './lost-renders';
import { costKey } from './paid-request';
import { costOfRecord, renderCodec } from './paid-records';
import { countedCost, withBudgetSettlement } from './spend-records';

export interface SettledCosts {
  /** Stored answers whose cost this sweep applied. */
  applied: number;
  /** Renders found at Runware and counted by this sweep. */
  recovered: number;
  /** Images whose render could not be decided (still processing, or the lookup failed); logged. */
  unresolved: number;
}

/**
 * True when the status document proves that every reserved provider call has its answer stored and that answer's
 * cost applied, so the sweep has nothing to do:
 *  - `api_calls_made_LLM + api_calls_made_images` counts reservations, each key (`position:sN`) once
 *    (reserveCall is a keyed increment); a send leaves only under a reservation, and a reservation is reused only
 *    by a send that never left (refused), so every send the provider received has one;
 *  - a reservation has at most one stored answer (provider_calls keeps one result per position and send), and a
 *    stored answer has exactly one cost key (`cost:position:sN`);
 *  - `api_calls_costed` is incremented in the same keyed increment as each cost key (spend-records.ts
 *    `countedCost`), so it is the number of applied cost keys — or fewer, never more (a world created before the
 *    counter existed, or costs applied by an older release in a rolling deploy).
 * Hence costed ≤ answers with cost ≤ answers ≤ reservations, and equality of the ends means every reservation has a
 * stored answer whose cost is applied: no stored answer left to apply, and no image send without a stored answer
 * (a lost render) to look up. A send answered with an HTTP error, a lost reply, a crash before the cost write, or
 * an older world (counter absent) all leave the counts unequal, and the full sweep runs as before.
 */
export function nothingToSettle(doc: Pick<GenerationStatus, 'api_calls_made_LLM' | 'api_calls_made_images'> & { api_calls_costed?: number }): boolean {
  const costed = doc.api_calls_costed;
  if (typeof costed !== 'number') return false;
  return costed === (doc.api_calls_made_LLM ?? 0) + (doc.api_calls_made_images ?? 0);
}

/**
 * `known`: the world's status document as the caller just read it (saves the sweep its own read); the decision is
 * only as fresh as that read, which is fine once the world's activities have stopped.
 */
export async function settleWorldCosts(
  deps: Pick<ActivityDeps, 'repos' | 'runware' | 'config' | 'log'>,
  worldId: string,
  signal?: AbortSignal,
  known?: GenerationStatus | null,
): Promise<SettledCosts> {
  const { providerCalls, status } = deps.repos;
  const settled: SettledCosts = { applied: 0, recovered: 0, unresolved: 0 };
  const doc = known ?? (await status.get(worldId));
  if (doc && nothingToSettle(doc)) return settled;
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
      if (await status.applyOnce(worldId, costKey(position, found.send), countedCost(renderCodec.costOf(stored)))) settled.recovered++;
    } catch (err) {
      settled.unresolved++;
      deps.log.warn('could not settle the cost of an image render', { world_id: worldId, position, error: err instanceof Error ? err.message : String(err) });
    }
  }
  if (settled.applied + settled.recovered + settled.unresolved > 0) deps.log.info('settled world costs', { world_id: worldId, ...settled });
  return settled;
}
