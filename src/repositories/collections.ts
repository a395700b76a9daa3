/**
 * Every collection the worker owns: one declaration each (name, schema, indexes).
 *
 * `world_generation_status` is a cross-service contract (spec 6.3): world-service (Go) reads it from database
 * `generia_ai_worker`. Its field names — including the upper-case `LLM` — and BSON types must not change: counters
 * are BSON int32/int64, costs BSON double, dates BSON dates. The schema types them as JS numbers; the repository
 * encodes costs with `Double` on every write.
 * @module
 */
import type { Db } from 'mongodb';
import * as v from 'valibot';
import { defineCollection, ensureIndexes, type DocOf, type NewDocOf } from './define-collection';

const Id = v.pipe(v.string(), v.minLength(1, 'must be a non-empty string'));
const Int = v.pipe(v.number(), v.integer('must be an integer'));
const Count = v.pipe(v.number(), v.integer('must be an integer'), v.minValue(0, 'must not be negative'));
const Money = v.pipe(v.number(), v.finite('must be finite'), v.minValue(0, 'must not be negative'));
const Obj = v.record(v.string(), v.unknown());

// ----------------------------------------------------------------------------------- world_generation_status

import { STAGE_NAMES, STAGE_STATUSES, type StageName, type StageStatus } from '../domain/stages';
export { STAGE_NAMES, STAGE_STATUSES, type StageName, type StageStatus };
/** Overall status; world-service itself reports `not_started` when no document exists. */
export const GENERATION_STATUSES = ['in_progress', 'completed', 'failed'] as const;
export type GenerationStatusValue = (typeof GENERATION_STATUSES)[number];

export const StageSchema = v.object({
  name: v.picklist(STAGE_NAMES),
  status: v.picklist(STAGE_STATUSES),
  /** Ours (ignored by the Go decoder): why a stage failed. */
  reason: v.optional(v.string()),
});

/** Integer counters (stored as BSON int32/int64). */
export const INT_COUNTER_FIELDS = [
  'tasks_total',
  'tasks_completed',
  'tasks_failed',
  'users_created',
  'posts_created',
  'avatars_created',
  'posts_failed',
  'characters_ambiguous',
  'api_calls_made_LLM',
  'api_calls_made_images',
  'llm_prompt_tokens',
  'llm_completion_tokens',
  'api_calls_costed',
] as const;
/** Cost counters (stored as BSON double, always). */
export const COST_FIELDS = ['llm_cost_total', 'image_cost_total'] as const;
/**
 * Money counters that may move down (stored as BSON double): a budget's committed sum drops when an answer costs less
 * than its reservation (src/domain/budget.ts).
 */
export const SIGNED_COST_FIELDS = ['budget_committed_usd'] as const;
export type CounterField = (typeof INT_COUNTER_FIELDS)[number] | (typeof COST_FIELDS)[number] | (typeof SIGNED_COST_FIELDS)[number];

export const GenerationStatusSchema = v.object({
  _id: Id,
  status: v.picklist(GENERATION_STATUSES),
  current_stage: v.picklist(STAGE_NAMES),
  stages: v.pipe(v.array(StageSchema), v.length(STAGE_NAMES.length, 'must list the six stages')),
  tasks_total: v.optional(Count, 0),
  tasks_completed: v.optional(Count, 0),
  tasks_failed: v.optional(Count, 0),
  task_predicted: v.optional(Count, 0),
  users_created: v.optional(Count, 0),
  posts_created: v.optional(Count, 0),
  users_predicted: Count,
  posts_predicted: Count,
  api_call_limits_LLM: Count,
  api_call_limits_images: Count,
  api_calls_made_LLM: v.optional(Count, 0),
  api_calls_made_images: v.optional(Count, 0),
  llm_cost_total: v.optional(Money, 0),
  image_cost_total: v.optional(Money, 0),
  parameters: v.object({ users_count: Count, posts_count: Count, user_prompt: v.string() }),
  created_at: v.date(),
  updated_at: v.date(),
  // --- ours; the Go decoder ignores unknown fields ---
  /** First failure reason. */
  error: v.optional(v.nullable(v.string()), null),
  avatars_created: v.optional(Count, 0),
  posts_failed: v.optional(Count, 0),
  /**
   * Characters whose CreateCharacter may have committed although its response was lost. character-service offers no
   * read-back that could find them (it lists only a real user's characters), so they are neither counted as
   * created nor created again; the world reports them (see side_effects `state: 'ambiguous'`).
   */
  characters_ambiguous: v.optional(Count, 0),
  llm_prompt_tokens: v.optional(Count, 0),
  llm_completion_tokens: v.optional(Count, 0),
  /**
   * Stored answers whose cost key is applied, counted in that same keyed increment (spend-records.ts). Equal to
   * `api_calls_made_LLM + api_calls_made_images` ⇒ the world's cost sweep has nothing to settle (settle-costs.ts).
   * Absent in worlds created before it existed (a read sees `undefined`, and the sweep then runs in full).
   */
  api_calls_costed: v.optional(Count, 0),
  /** The world's spending budget in USD (src/domain/budget.ts); absent or null = none. */
  budget_usd: v.optional(v.nullable(Money)),
  /**
   * Worlds with a budget: expected cost of every reserved request not yet answered + the real cost of the answered
   * ones. Reservations are refused when it would pass `budget_usd`. Can drop (an answer cheaper than expected).
   */
  budget_committed_usd: v.optional(v.pipe(v.number(), v.finite('must be finite'))),
  /** Bumped by every stage/status/error change: optimistic concurrency for `advanceStage`. */
  revision: v.optional(Int, 0),
  /**
   * Keys whose increment is in flight (see `applyOnce` / `reserveApiCall` and `status_ledger`): pushed by the update
   * that applies a key's increment, pulled once the ledger records it as applied. Normally empty. The per-key record
   * of applied increments lives in `status_ledger`, so this document stays small. (World-service's Go decoder
   * ignores unknown fields.)
   */
  pending_keys: v.optional(v.array(v.string()), []),
  /**
   * Keys for which a second attempt (a retry or a concurrent duplicate) arrived before the first had finished. Such a
   * key is never pulled from `pending_keys` again, which is what keeps the late attempt from counting twice.
   * Normally empty; grows only by keys whose attempts raced or crashed mid-way.
   */
  contended_keys: v.optional(v.array(v.string()), []),
});

export const GenerationStatusCollection = defineCollection({
  name: 'world_generation_status',
  schema: GenerationStatusSchema,
  indexes: [],
});
export type GenerationStatus = DocOf<typeof GenerationStatusCollection>;
export type NewGenerationStatus = NewDocOf<typeof GenerationStatusCollection>;
export type Stage = GenerationStatus['stages'][number];

// ----------------------------------------------------------------------------------------------------- tasks

export const TASK_STATUSES = ['pending', 'in_progress', 'completed', 'failed'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];

export const TaskSchema = v.object({
  /** Deterministic, caller-provided id (world id + position), so a retried creation finds the same task. */
  _id: Id,
  type: Id,
  world_id: Id,
  parent_id: v.optional(v.nullable(v.string()), null),
  status: v.optional(v.picklist(TASK_STATUSES), 'pending'),
  parameters: v.optional(Obj, {}),
  result: v.optional(v.nullable(Obj), null),
  error: v.optional(v.nullable(v.string()), null),
  attempt_count: v.optional(Count, 0),
  created_at: v.date(),
  updated_at: v.date(),
});

export const TaskCollection = defineCollection({
  name: 'tasks',
  schema: TaskSchema,
  indexes: [
    { key: { world_id: 1 }, name: 'world_id_1' },
    { key: { world_id: 1, type: 1 }, name: 'world_id_1_type_1' },
    { key: { status: 1 }, name: 'status_1' },
  ],
});
export type Task = DocOf<typeof TaskCollection>;
export type NewTask = NewDocOf<typeof TaskCollection>;

// ------------------------------------------------------------------------------------------ world_parameters

/**
 * World parameters: the LLM's WorldDescription stored whole under `params` (not spread at top level as the original
 * did), so its keys can never collide with `_id` / timestamps and there is no duplicate `id` field (spec 15.34).
 * `name` and `language` are lifted out for queries and logs.
 */
export const WorldParametersSchema = v.object({
  _id: Id,
  name: v.optional(v.nullable(v.string()), null),
  language: v.optional(v.nullable(v.string()), null),
  params: Obj,
  /** Set on first save only. */
  created_at: v.date(),
  updated_at: v.date(),
});

export const WorldParametersCollection = defineCollection({
  name: 'world_parameters',
  schema: WorldParametersSchema,
  indexes: [],
});
export type WorldParameters = DocOf<typeof WorldParametersCollection>;

// -------------------------------------------------------------------------------------- api_requests_history

export const API_TYPES = ['llm', 'image_generation', 'grpc', 'http'] as const;
export type ApiType = (typeof API_TYPES)[number];

export const ApiRequestSchema = v.object({
  _id: Id,
  api_type: v.picklist(API_TYPES),
  task_id: v.string(),
  world_id: v.string(),
  request_type: Id,
  /** Never contains API keys or authorization headers (checked on write). */
  request_data: Obj,
  response_data: v.optional(v.nullable(Obj), null),
  error: v.optional(v.nullable(v.string()), null),
  duration_ms: Count,
  prompt_tokens: v.optional(v.nullable(Count), null),
  completion_tokens: v.optional(v.nullable(Count), null),
  /** USD; stored as BSON double. */
  cost: v.optional(v.nullable(Money), null),
  attempt: v.optional(v.nullable(Count), null),
  created_at: v.date(),
});

export const ApiRequestCollection = defineCollection({
  name: 'api_requests_history',
  schema: ApiRequestSchema,
  indexes: [
    { key: { world_id: 1 }, name: 'world_id_1' },
    { key: { task_id: 1 }, name: 'task_id_1' },
    { key: { api_type: 1 }, name: 'api_type_1' },
  ],
});
export type ApiRequest = DocOf<typeof ApiRequestCollection>;
export type NewApiRequest = NewDocOf<typeof ApiRequestCollection>;

// ---------------------------------------------------------------------------------------------- side_effects

/** Idempotency records for calls that create things in other services (characters, posts, media). */
export const SideEffectSchema = v.object({
  /** The idempotency key, derived by the caller from world id + step. */
  _id: Id,
  world_id: Id,
  kind: Id,
  result: Obj,
  created_at: v.date(),
  // --- creations in services that ignore idempotency keys (see `openCreation`); absent on plain records ---
  /** `pending` until the created id is known (`done`), or `ambiguous` when it may exist but cannot be found. */
  state: v.optional(v.picklist(['pending', 'done', 'ambiguous'])),
  /** The request as first prepared; every attempt sends exactly this. */
  request: v.optional(Obj),
  /** The latest attempt that claimed the creation; an older attempt that wakes up later must not send. */
  attempt: v.optional(Int),
  /** Set just before a send; cleared when the send provably had no effect. Set ⇒ the call may have committed. */
  sent_at: v.optional(v.nullable(v.date())),
  /** What identifies the created thing on read-back (e.g. every media id a post creation sent). */
  match_keys: v.optional(v.array(v.string())),
  reason: v.optional(v.string()),
});

export const SideEffectCollection = defineCollection({
  name: 'side_effects',
  schema: SideEffectSchema,
  indexes: [{ key: { world_id: 1 }, name: 'world_id_1' }],
});
export type SideEffect = DocOf<typeof SideEffectCollection>;

// --------------------------------------------------------------------------------------------- status_ledger

/**
 * The exact-once record of keyed increments of `world_generation_status` (`applyOnce` / `reserveApiCall`), which used
 * to live in the status document's `applied_keys` array. Insert-only on the normal path (FerretDB 1.24 with SQLite
 * finds documents by `_id` only by scanning the collection, but enforces `_id` uniqueness on insert through an
 * index, so inserts stay cheap however large the ledger grows). Two entries per key:
 *  - the attempt entry, `_id` = `attempt:${world_id}|${key}`, `applied: false`: inserted by the first attempt;
 *  - the applied entry, `_id` = `${world_id}|${key}`, `applied: true`: inserted once the increment is in the counters.
 * (World ids never start with `attempt:`, so the two id forms cannot collide.)
 */
export const StatusLedgerSchema = v.object({
  _id: Id,
  world_id: Id,
  key: Id,
  /** The counter increments (field → amount) requested by the attempt that wrote the entry. */
  increments: v.record(v.string(), v.number()),
  /** False for the attempt entry, true for the applied entry. */
  applied: v.boolean(),
  created_at: v.date(),
});

export const StatusLedgerCollection = defineCollection({
  name: 'status_ledger',
  schema: StatusLedgerSchema,
  indexes: [{ key: { world_id: 1 }, name: 'world_id_1' }],
});
export type StatusLedgerEntry = DocOf<typeof StatusLedgerCollection>;

// -------------------------------------------------------------------------------------------- provider_calls

/**
 * What the worker knows about each paid provider request, so money and call counts survive retries and crashes.
 * A request's *position* names it independently of the attempt: `llm:<task>:<step>:q<i>:r<j>` (the i-th structured
 * call of the step, j = 0 first request / 1 repair) or `image:<task>:<kind>:q0`. Each position may be sent more
 * than once (a send that failed before an answer); send n has up to four insert-only entries:
 *  - `reservation` (`<position>|s<n>`): written together with the reservation of the call against the limit;
 *  - `task_uuid` (`<position>|s<n>|uuid|<uuid>`): Runware only, the fresh task UUID, written before the request;
 *  - `sent` (`<position>|s<n>|sent|<try>`): written as the request leaves (a reservation without it never left);
 *  - `result` (`<position>|s<n>|result`): the paid answer, written before any other bookkeeping;
 *  - `refused` (`<position>|s<n>|refused|<try>`): that try's connection was refused, so it provably never arrived
 *    (its `sent` entry is written as it leaves, before that is known) and the reservation is reused by a new try.
 * Insert-only like `status_ledger` (FerretDB 1.24 with SQLite scans a collection to find a document by `_id`, but
 * an insert's uniqueness check uses the index), and a collection of its own because answers can be tens of KB.
 */
export const PROVIDER_CALL_ENTRIES = ['reservation', 'task_uuid', 'sent', 'result', 'refused'] as const;
export type ProviderCallEntry = (typeof PROVIDER_CALL_ENTRIES)[number];

export const ProviderCallSchema = v.object({
  _id: Id,
  world_id: Id,
  task_id: Id,
  position: Id,
  provider: v.picklist(['llm', 'images']),
  entry: v.picklist(PROVIDER_CALL_ENTRIES),
  /** Which send at this position (0, 1, …). */
  send: Count,
  /** `task_uuid` entries: the Runware task UUID; `sent` / `refused` entries: the try they belong to. */
  task_uuid: v.optional(v.nullable(v.string()), null),
  /** The paid answer (`result` entries only). */
  result: v.optional(v.nullable(Obj), null),
  created_at: v.date(),
});

export const ProviderCallCollection = defineCollection({
  name: 'provider_calls',
  schema: ProviderCallSchema,
  indexes: [{ key: { position: 1 }, name: 'position_1' }],
});
export type ProviderCall = DocOf<typeof ProviderCallCollection>;

// -------------------------------------------------------------------------------------------------------------

/**
 * `retention_marks` — one per settled world, where records expire by world (FerretDB, which has no TTL deletion:
 * retention.ts). `_id` is the world id; insert-only, so the first mark's expiry is kept.
 */
export const RetentionMarkSchema = v.object({
  _id: Id,
  /** When the world's per-world records may be deleted. */
  expires_at: v.date(),
  created_at: v.date(),
});

export const RetentionMarkCollection = defineCollection({
  name: 'retention_marks',
  schema: RetentionMarkSchema,
  indexes: [{ key: { expires_at: 1 }, name: 'expires_at_1' }],
});
export type RetentionMark = DocOf<typeof RetentionMarkCollection>;

// -------------------------------------------------------------------------------------------------------------

export const ALL_COLLECTIONS = [
  GenerationStatusCollection,
  TaskCollection,
  WorldParametersCollection,
  ApiRequestCollection,
  SideEffectCollection,
  StatusLedgerCollection,
  ProviderCallCollection,
  RetentionMarkCollection,
] as const;

/** Creates every collection's indexes; call once at start-up. */
export function ensureAllIndexes(db: Db): Promise<void> {
  return ensureIndexes(db, ALL_COLLECTIONS);
}
