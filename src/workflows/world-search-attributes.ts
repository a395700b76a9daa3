/**
 * The orchestrator's search attributes (GeneriaWorldId, GeneriaWorldState; see progress.ts): set when the world
 * starts, and the state again when it ends — completed, failed or cancelled — so `bun run world list --source
 * temporal` and the Web UI can filter worlds. Only where the server has them registered: the orchestrator asks a
 * local activity first, and a world on a server without them (or whose worker has no such activity) runs exactly as
 * before, without them. Behind `patched(Patches.worldSearchAttributes)`: histories from before issue none of this.
 */
import { isCancellation, patched, proxyLocalActivities, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeActivities } from '../activities/search-attribute-activities';
import { Patches } from './patches';
import { WorldIdSearchAttribute, WorldStateSearchAttribute, type WorldState } from './progress';

const { worldSearchAttributesRegistered } = proxyLocalActivities<SearchAttributeActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 3 },
});

/** Runs the orchestrator's body with its search attributes kept current. */
export async function withWorldSearchAttributes<R extends { data: { status: 'completed' | 'failed' } | null }>(worldId: string, body: () => Promise<R>): Promise<R> {
  const enabled = patched(Patches.worldSearchAttributes) && (await worldSearchAttributesRegistered().catch(() => false));
  const setState = (state: WorldState) => {
    if (enabled) upsertSearchAttributes([{ key: WorldStateSearchAttribute, value: state }]);
  };
  if (enabled) upsertSearchAttributes([{ key: WorldIdSearchAttribute, value: worldId }, { key: WorldStateSearchAttribute, value: 'in_progress' }]);
  try {
    const result = await body();
    setState(result.data?.status ?? 'failed');
    return result;
  } catch (err) {
    setState(isCancellation(err) ? 'cancelled' : 'failed');
    throw err;
  }
}
