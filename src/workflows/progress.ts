/**
 * What the world's orchestrator (GenerateWorldDescriptionWorkflow) tells an operator while it runs: the `progress`
 * query and the search attributes `list` and the Web UI filter on. Workflow-safe (no I/O): imported by the workflow
 * bundle, the CLI (src/cli) and the local stack (dev/stack registers the attributes on the dev server).
 *
 * Counters and costs are not here: they live in the status document (MongoDB), which world-service reads and which
 * stays exact under retries. The query reports what only the orchestrator knows — which phase it is in and how it
 * ended — and answers even when MongoDB is down.
 * @module
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery } from '@temporalio/workflow';

/** The orchestrator's own phases, in order; the last three are final. */
export const WORLD_PHASES = ['describing', 'generating', 'finishing', 'completed', 'failed', 'cancelled'] as const;
export type WorldPhase = (typeof WORLD_PHASES)[number];

export interface WorldProgress {
  world_id: string;
  phase: WorldPhase;
  /** Set once the world has ended: the summary `finishWorld` wrote, or the reason it failed. */
  summary?: string;
}

export const PROGRESS_QUERY_NAME = 'progress';
export const progressQuery = defineQuery<WorldProgress>(PROGRESS_QUERY_NAME);

/**
 * Custom search attributes (type Keyword). A server rejects an upsert of an attribute that is not registered (the
 * workflow task fails and is retried forever), so they are only written where the server has them: the local dev
 * server registers them at start (`--search-attribute`); elsewhere an operator registers them with
 * `temporal operator search-attribute create --name GeneriaWorldId --type Keyword` (and GeneriaWorldState).
 */
export const SEARCH_ATTRIBUTE_NAMES = { worldId: 'GeneriaWorldId', worldState: 'GeneriaWorldState' } as const;
export const WorldIdSearchAttribute = defineSearchAttributeKey(SEARCH_ATTRIBUTE_NAMES.worldId, SearchAttributeType.KEYWORD);
export const WorldStateSearchAttribute = defineSearchAttributeKey(SEARCH_ATTRIBUTE_NAMES.worldState, SearchAttributeType.KEYWORD);

/** World states as search-attribute values (the status document's `status`, plus `cancelled`). */
export type WorldState = 'in_progress' | 'completed' | 'failed' | 'cancelled';

/** The IndexedValueType of Keyword in Temporal's API (temporal.api.enums.v1.IndexedValueType). */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

/**
 * Whether a namespace's custom search attributes (as `OperatorService.ListSearchAttributes` returns them) include
 * both world attributes as Keyword. Pure, so the worker's check and the CLI's agree.
 */
export function hasWorldSearchAttributes(customAttributes: Record<string, unknown> | null | undefined): boolean {
  return Object.values(SEARCH_ATTRIBUTE_NAMES).every((name) => Number(customAttributes?.[name]) === INDEXED_VALUE_TYPE_KEYWORD);
}
