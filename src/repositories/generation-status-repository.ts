/**
 * `world_generation_status`: the progress document world-service reads (spec 6.3). This repository owns that
 * contract — field names and BSON types (counters int32/int64, costs double, dates date).
 *
 * FerretDB 1.24 compatibility (verified against the dev server): it lacks the positional `$` operator,
 * `arrayFilters`, aggregation-pipeline updates and `$lt` inside `$expr`, so every update here uses plain operators
 * (`$set`, `$inc`, `$push`) with query filters only — which is also valid on real MongoDB. Atomicity relies on
 * MongoDB's single-document update guarantee; FerretDB 1.24 (SQLite) only provides it over a single connection
 * (see `connectMongo`).
 * @module
 */
import { Double, Long, type Db, type Filter, type OptionalUnlessRequiredId, type UpdateFilter } from 'mongodb';
import { collectionOf, validateDoc, type NewDocOf } from './define-collection';
import {
  COST_FIELDS,
  GenerationStatusCollection,
  INT_COUNTER_FIELDS,
  STAGE_NAMES,
  type CounterField,
  type GenerationStatus,
  type GenerationStatusValue,
  type Stage,
  type StageName,
  type StageStatus,
} from './collections';
import { ConcurrencyError, isDuplicateKeyError, NotFoundError, RepositoryValidationError } from './errors';

export interface InitializeGenerationInput {
  worldId: string;
  charactersCount: number;
  postsCount: number;
  userPrompt: string;
  apiCallLimitsLlm: number;
  apiCallLimitsImages: number;
  tasksPredicted: number;
}

export type StageTransition = Exclude<StageStatus, 'pending'>;
export type ApiCallKind = 'llm' | 'images';
export type ReserveResult = 'reserved' | 'already_reserved' | 'limit_reached' | 'missing';
export type CounterIncrements = Partial<Record<CounterField, number>>;

const COLLECTION = GenerationStatusCollection.name;
const INT32_MIN = -2_147_483_648;
const INT32_MAX = 2_147_483_647;
const MAX_CAS_ATTEMPTS = 100;

/**
 * A BSON integer for a JS integer: the driver writes integers within int32 range as Int32 but larger ones as
 * *double*, so those become Long explicitly.
 */
function bsonInt(n: number): number | Long {
  return n >= INT32_MIN && n <= INT32_MAX ? n : Long.fromNumber(n);
}

/** The document as stored: costs as `Double` (a whole-number JS number would otherwise be written as int32). */
function encode(doc: GenerationStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  for (const f of COST_FIELDS) out[f] = new Double(doc[f]);
  for (const f of INT_COUNTER_FIELDS) out[f] = bsonInt(doc[f]);
  return out;
}

const isFinal = (s: StageStatus) => s === 'completed' || s === 'failed';

function overallStatus(stages: readonly Stage[]): GenerationStatusValue {
  if (stages.some((s) => s.status === 'failed')) return 'failed';
  if (stages.every((s) => s.status === 'completed')) return 'completed';
  return 'in_progress';
}

/** The furthest stage in progress; else the furthest stage that has started; else `initializing`. */
function currentStage(stages: readonly Stage[]): StageName {
  const furthest = (pred: (s: Stage) => boolean) => [...stages].reverse().find(pred)?.name;
  return furthest((s) => s.status === 'in_progress') ?? furthest((s) => s.status !== 'pending') ?? 'initializing';
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Repository for `world_generation_status`. */
export function createGenerationStatusRepository(db: Db) {
  const col = collectionOf(db, GenerationStatusCollection);

  async function get(worldId: string): Promise<GenerationStatus | null> {
    return col.findOne({ _id: worldId });
  }

  async function require(worldId: string): Promise<GenerationStatus> {
    const doc = await get(worldId);
    if (!doc) throw new NotFoundError(COLLECTION, worldId, 'generation status for world');
    return doc;
  }

  return {
    get,
    require,

    /**
     * Creates the status document if absent. Idempotent: a repeat call — a Temporal retry after a lost success, or a
     * re-run — leaves the existing document untouched and returns it; concurrent calls are safe (spec 15.8).
     */
    async initialize(input: InitializeGenerationInput): Promise<GenerationStatus> {
      const now = new Date();
      const fresh: NewDocOf<typeof GenerationStatusCollection> = {
        _id: input.worldId,
        status: 'in_progress',
        current_stage: 'initializing',
        stages: STAGE_NAMES.map((name) => ({ name, status: name === 'initializing' ? 'in_progress' : 'pending' })),
        task_predicted: input.tasksPredicted,
        users_predicted: input.charactersCount,
        posts_predicted: input.postsCount,
        api_call_limits_LLM: input.apiCallLimitsLlm,
        api_call_limits_images: input.apiCallLimitsImages,
        parameters: { users_count: input.charactersCount, posts_count: input.postsCount, user_prompt: input.userPrompt },
        created_at: now,
        updated_at: now,
      };
      // Portable formulation: a plain insert whose duplicate-key error means "already initialized". Atomic on `_id`
      // uniqueness, so concurrent calls converge without a retry. (An upsert with `$setOnInsert` would also work on
      // MongoDB, but FerretDB 1.24 silently drops `null` and `[]` values from `$setOnInsert` on upsert.)
      const stored = encode(validateDoc(GenerationStatusCollection, fresh));
      try {
        // Cast: `stored` carries BSON Double/Long values where the read type has `number`.
        await col.insertOne(stored as unknown as OptionalUnlessRequiredId<GenerationStatus>);
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
      }
      return require(input.worldId);
    },

    /**
     * Moves one stage forward: pending → in_progress → completed | failed (pending → completed | failed allowed).
     * A completed or failed stage never changes again; a non-forward move is a no-op returning the current document.
     * `status`, `current_stage`, `updated_at` (and `error` on the first failure) are recomputed and written in the same
     * update as the stage, guarded by `revision` (compare-and-set, retried on conflict), so concurrent stage changes
     * from different workflows cannot overwrite each other (spec 15.6).
     */
    async advanceStage(
      worldId: string,
      stage: StageName,
      status: StageTransition,
      reason?: string,
    ): Promise<GenerationStatus> {
      if (!STAGE_NAMES.includes(stage)) {
        throw new RepositoryValidationError(COLLECTION, [{ field: 'stages.name', message: `unknown stage '${stage}'` }]);
      }
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const doc = await require(worldId);
        const index = doc.stages.findIndex((s) => s.name === stage);
        const previous = doc.stages[index]?.status ?? 'pending';
        if (isFinal(previous) || previous === status) return doc;
        const stages: Stage[] = doc.stages.map((s) =>
          s.name === stage ? { name: s.name, status, ...(reason !== undefined ? { reason } : {}) } : s,
        );
        const firstError = status === 'failed' && (doc.error ?? null) === null ? (reason ?? `stage ${stage} failed`) : doc.error;
        const filter: Filter<GenerationStatus> = { _id: worldId, revision: doc.revision };
        const updated = await col.findOneAndUpdate(
          filter,
          {
            $set: {
              stages,
              status: overallStatus(stages),
              current_stage: currentStage(stages),
              error: firstError,
              updated_at: new Date(),
            },
            $inc: { revision: 1 },
          },
          { returnDocument: 'after' },
        );
        if (updated) return updated;
        await sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
      throw new ConcurrencyError(`advanceStage(${worldId}, ${stage}, ${status}) lost ${MAX_CAS_ATTEMPTS} races`);
    },

    /**
     * Applies counter increments exactly once per `key` (one atomic update: the filter excludes documents whose
     * `applied_keys` already hold the key). Returns false when the key was already applied.
     * Int counters are written as BSON integers, costs as BSON doubles (a `Double` operand keeps the field double).
     * Keys share one namespace with {@link reserveApiCall}'s keys.
     * @throws NotFoundError when the document does not exist.
     */
    async applyOnce(worldId: string, key: string, increments: CounterIncrements): Promise<boolean> {
      const inc: Record<string, number | Long | Double> = {};
      const issues: { field: string; message: string }[] = [];
      for (const [field, value] of Object.entries(increments)) {
        if (value === undefined) continue;
        if ((COST_FIELDS as readonly string[]).includes(field)) {
          if (!Number.isFinite(value) || value < 0) issues.push({ field, message: 'must be a finite number ≥ 0' });
          else inc[field] = new Double(value);
        } else if ((INT_COUNTER_FIELDS as readonly string[]).includes(field)) {
          if (!Number.isSafeInteger(value) || value < 0) issues.push({ field, message: 'must be an integer ≥ 0' });
          else inc[field] = bsonInt(value);
        } else {
          issues.push({ field, message: 'is not a counter field' });
        }
      }
      if (issues.length > 0) throw new RepositoryValidationError(COLLECTION, issues);
      const result = await col.updateOne(
        { _id: worldId, applied_keys: { $ne: key } },
        {
          ...(Object.keys(inc).length > 0 ? { $inc: inc as UpdateFilter<GenerationStatus>['$inc'] } : {}),
          $push: { applied_keys: key },
          $set: { updated_at: new Date() },
        },
      );
      if (result.matchedCount === 1) return true;
      await require(worldId);
      return false;
    },

    /**
     * Reserves one API call against the world's limit, once per `key`.
     *
     * Portable formulation: comparing `api_calls_made_X` with `api_call_limits_X` in one filter needs `$expr`, whose
     * `$lt` FerretDB 1.24 does not implement. Limits never change after `initialize`, so the limit is read once and
     * the update filters on `{ api_calls_made_X: { $lt: limit } }` — still a single atomic conditional update, so
     * concurrent callers can never exceed the limit.
     */
    async reserveApiCall(worldId: string, kind: ApiCallKind, key: string): Promise<ReserveResult> {
      const made = kind === 'llm' ? 'api_calls_made_LLM' : 'api_calls_made_images';
      const limitField = kind === 'llm' ? 'api_call_limits_LLM' : 'api_call_limits_images';
      const doc = await col.findOne({ _id: worldId }, { projection: { [limitField]: 1 } });
      if (!doc) return 'missing';
      const limit = doc[limitField];
      const result = await col.updateOne(
        { _id: worldId, applied_keys: { $ne: key }, [made]: { $lt: limit } } as Filter<GenerationStatus>,
        { $inc: { [made]: 1 }, $push: { applied_keys: key }, $set: { updated_at: new Date() } } as UpdateFilter<GenerationStatus>,
      );
      if (result.matchedCount === 1) return 'reserved';
      const after = await col.findOne({ _id: worldId, applied_keys: key }, { projection: { _id: 1 } });
      if (after) return 'already_reserved';
      return (await col.countDocuments({ _id: worldId }, { limit: 1 })) === 0 ? 'missing' : 'limit_reached';
    },

    /**
     * Records the first failure reason; later calls keep the first. Bumps `revision` so that a concurrent
     * `advanceStage` re-reads and cannot overwrite it. Returns true if this call set the error.
     */
    async recordError(worldId: string, reason: string): Promise<boolean> {
      const result = await col.updateOne(
        { _id: worldId, error: null },
        { $set: { error: reason, updated_at: new Date() }, $inc: { revision: 1 } },
      );
      if (result.matchedCount === 1) return true;
      await require(worldId);
      return false;
    },
  };
}

export type GenerationStatusRepository = ReturnType<typeof createGenerationStatusRepository>;
