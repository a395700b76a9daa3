/**
 * One world as the CLI shows it: the status document world-service reads (stages, counters, costs — the exact
 * figures) joined with what Temporal knows (the orchestrator's execution status and its `progress` query).
 */
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { Db } from 'mongodb';
import { rootWorkflowId, TaskTypes, taskIds, workflowIdFor } from '../domain/task-ids';
import { WORLD_ID_PATTERN } from '../schemas/world-input';
import { CANCELLED_REASON, STAGE_NAMES } from '../domain/stages';
import { progressQuery, type WorldProgress, type WorldState } from '../workflows/progress';
import { CliError, EXIT, usageError } from './errors';

export const STATUS_COLLECTION = 'world_generation_status';

export type StatusDoc = {
  _id: string;
  status: 'in_progress' | 'completed' | 'failed';
  current_stage: string;
  stages: { name: string; status: string; reason?: string }[];
  users_predicted: number;
  posts_predicted: number;
  users_created?: number;
  posts_created?: number;
  avatars_created?: number;
  posts_failed?: number;
  characters_ambiguous?: number;
  tasks_total?: number;
  tasks_completed?: number;
  tasks_failed?: number;
  api_call_limits_LLM: number;
  api_call_limits_images: number;
  api_calls_made_LLM?: number;
  api_calls_made_images?: number;
  llm_cost_total?: number;
  image_cost_total?: number;
  llm_prompt_tokens?: number;
  llm_completion_tokens?: number;
  error?: string | null;
  parameters?: { users_count: number; posts_count: number; user_prompt: string };
  created_at: Date;
  updated_at: Date;
};

/** What `status --json` prints and `watch` emits as JSON lines. */
export interface WorldView {
  world_id: string;
  /** The world's state: the status document's `status`, `cancelled` when a cancel ended it, `not_started` before the root wrote it. */
  state: WorldState | 'not_started';
  current_stage: string | null;
  stages: { name: string; status: string; reason?: string }[];
  characters: { created: number; requested: number; avatars: number; ambiguous: number };
  posts: { created: number; failed: number; requested: number };
  tasks: { completed: number; failed: number; total: number };
  calls: { llm: number; llm_limit: number; images: number; images_limit: number };
  tokens: { prompt: number; completion: number };
  cost: { llm: number; images: number; total: number };
  error: string | null;
  created_at: string | null;
  updated_at: string | null;
  /** The orchestrator's execution status in Temporal and its answer to the `progress` query, when asked. */
  orchestrator?: { workflow_id: string; status: string; progress?: WorldProgress };
}

export const orchestratorId = (worldId: string) => workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId));

export function checkWorldId(worldId: string): string {
  if (!WORLD_ID_PATTERN.test(worldId)) {
    throw usageError(`world id "${worldId.slice(0, 80)}" is not valid: expected a lower-case UUID like 7d0c1a52-5b3e-4f7e-9a41-3c2b1d0e9f88`);
  }
  return worldId;
}

export function stateOf(doc: Pick<StatusDoc, 'status' | 'error'>): WorldState {
  return doc.status === 'failed' && doc.error === CANCELLED_REASON ? 'cancelled' : doc.status;
}

export const isFinal = (state: WorldView['state']) => state === 'completed' || state === 'failed' || state === 'cancelled';

export function viewOf(worldId: string, doc: StatusDoc | null): WorldView {
  const n = (x: number | undefined) => x ?? 0;
  const llm = n(doc?.llm_cost_total);
  const images = n(doc?.image_cost_total);
  return {
    world_id: worldId,
    state: doc ? stateOf(doc) : 'not_started',
    current_stage: doc?.current_stage ?? null,
    stages: doc?.stages.map((s) => ({ name: s.name, status: s.status, ...(s.reason ? { reason: s.reason } : {}) })) ??
      STAGE_NAMES.map((name) => ({ name, status: 'pending' })),
    characters: { created: n(doc?.users_created), requested: n(doc?.users_predicted), avatars: n(doc?.avatars_created), ambiguous: n(doc?.characters_ambiguous) },
    posts: { created: n(doc?.posts_created), failed: n(doc?.posts_failed), requested: n(doc?.posts_predicted) },
    tasks: { completed: n(doc?.tasks_completed), failed: n(doc?.tasks_failed), total: n(doc?.tasks_total) },
    calls: { llm: n(doc?.api_calls_made_LLM), llm_limit: n(doc?.api_call_limits_LLM), images: n(doc?.api_calls_made_images), images_limit: n(doc?.api_call_limits_images) },
    tokens: { prompt: n(doc?.llm_prompt_tokens), completion: n(doc?.llm_completion_tokens) },
    cost: { llm, images, total: llm + images },
    error: doc?.error ?? null,
    created_at: doc?.created_at ? new Date(doc.created_at).toISOString() : null,
    updated_at: doc?.updated_at ? new Date(doc.updated_at).toISOString() : null,
  };
}

export function readStatus(db: Db, worldId: string): Promise<StatusDoc | null> {
  return db.collection<StatusDoc>(STATUS_COLLECTION).findOne({ _id: worldId });
}

/** Execution status of a workflow, or undefined if Temporal has none by that id. */
async function describeStatus(client: Client, workflowId: string): Promise<string | undefined> {
  try {
    return (await client.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

/** The status document plus the orchestrator's state; an unknown world is exit code 3. */
export async function loadWorld(db: Db, client: Client, worldId: string): Promise<WorldView> {
  const [doc, orchestrator, root] = await Promise.all([
    readStatus(db, worldId),
    describeStatus(client, orchestratorId(worldId)),
    describeStatus(client, rootWorkflowId(worldId)),
  ]);
  if (!doc && !orchestrator && !root) {
    throw new CliError(`unknown world ${worldId}: no status document in ${db.databaseName}.${STATUS_COLLECTION} and no workflow ${rootWorkflowId(worldId)}`, EXIT.unknownWorld);
  }
  const view = viewOf(worldId, doc);
  if (orchestrator) {
    view.orchestrator = { workflow_id: orchestratorId(worldId), status: orchestrator };
    const progress = await queryProgress(client, worldId);
    if (progress) view.orchestrator.progress = progress;
  }
  return view;
}

/** The orchestrator's `progress` answer; undefined when it predates the query or cannot answer (no worker). */
export async function queryProgress(client: Client, worldId: string, timeoutMs = 3_000): Promise<WorldProgress | undefined> {
  // A query waits for a worker to answer it; with none polling it would hang, so it gets a short deadline.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), timeoutMs)));
  try {
    const answer = client.workflow
      .getHandle(orchestratorId(worldId))
      .query(progressQuery)
      .catch(() => undefined);
    return await Promise.race([answer, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
