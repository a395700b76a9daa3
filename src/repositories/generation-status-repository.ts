/**
 * `world_generation_status`: the progress document world-service reads (spec 6.3). This repository owns that
 * contract — field names and BSON types (counters int32/int64, costs double, dates date).
 *
 * FerretDB 1.24 compatibility (verified against the dev server): it lacks the positional `$` operator,
 * `arrayFilters`, aggregation-pipeline updates and `$lt` inside `$expr`, so every update here uses plain operators
 * (`$set`, `$inc`, `$push`, `$pull`, `$addToSet`) with query filters only — which is also valid on real MongoDB. Atomicity relies on
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
  SIGNED_COST_FIELDS,
  STAGE_NAMES,
  type CounterField,
  type GenerationStatus,
  type GenerationStatusValue,
  type Stage,
  type StageName,
  type StageStatus,
  StatusLedgerCollection,
} from './collections';
import { ConcurrencyError, duplicateIndexes, isDuplicateKeyError, NotFoundError, RepositoryValidationError } from './errors';

export interface InitializeGenerationInput {
  worldId: string;
  charactersCount: number;
  postsCount: number;
  userPrompt: string;
  apiCallLimitsLlm: number;
  apiCallLimitsImages: number;
  tasksPredicted: number;
  /** The world's spending budget in USD; absent or null = none (src/domain/budget.ts). */
  budgetUsd?: number | null;
}

export type StageTransition = Exclude<StageStatus, 'pending'>;
/** One stage move of {@link GenerationStatusRepository.advanceStages}. */
export interface StageMove {
  stage: StageName;
  status: StageTransition;
  reason?: string;
}
/** What {@link GenerationStatusRepository.advanceStages} writes: the world's first error (if none yet), then the moves. */
export interface StageBatch {
  error?: string | null;
  moves: readonly StageMove[];
}
export type ApiCallKind = 'llm' | 'images';
export type ReserveResult = 'reserved' | 'already_reserved' | 'limit_reached' | 'missing';
/** {@link ReserveResult} of a call that also reserves its expected cost against the world's budget. */
export interface CallReservation {
  outcome: ReserveResult | 'budget_reached';
  /** The world's budget (null: none, and nothing was reserved against it). */
  budgetUsd: number | null;
  /** The expected cost this key holds against the budget (0 when the world has no budget). */
  reservedUsd: number;
}
export type CounterIncrements = Partial<Record<CounterField, number>>;

/** Result of one keyed increment: applied now, applied before, refused by the guard, or no status document. */
type KeyedOutcome = 'applied' | 'already_applied' | 'rejected' | 'missing';

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

/** Checks increments (counter fields only; ints for int counters, finite ≥ 0 for costs); returns them as plain numbers. */
function validateIncrements(increments: CounterIncrements): Record<string, number> {
  const out: Record<string, number> = {};
  const issues: { field: string; message: string }[] = [];
  for (const [field, value] of Object.entries(increments)) {
    if (value === undefined) continue;
    if ((COST_FIELDS as readonly string[]).includes(field)) {
      if (!Number.isFinite(value) || value < 0) issues.push({ field, message: 'must be a finite number ≥ 0' });
      else out[field] = value;
    } else if ((SIGNED_COST_FIELDS as readonly string[]).includes(field)) {
      if (!Number.isFinite(value)) issues.push({ field, message: 'must be a finite number' });
      else out[field] = value;
    } else if ((INT_COUNTER_FIELDS as readonly string[]).includes(field)) {
      if (!Number.isSafeInteger(value) || value < 0) issues.push({ field, message: 'must be an integer ≥ 0' });
      else out[field] = value;
    } else {
      issues.push({ field, message: 'is not a counter field' });
    }
  }
  if (issues.length > 0) throw new RepositoryValidationError(COLLECTION, issues);
  return out;
}

/** `$inc` operands for validated increments: costs as `Double` (keeps the field double), int counters as BSON ints. */
function encodeIncrements(increments: Record<string, number>): Record<string, number | Long | Double> {
  const inc: Record<string, number | Long | Double> = {};
  for (const [field, value] of Object.entries(increments)) {
    inc[field] = isMoneyField(field) ? new Double(value) : bsonInt(value);
  }
  return inc;
}

const isMoneyField = (field: string) => (COST_FIELDS as readonly string[]).includes(field) || (SIGNED_COST_FIELDS as readonly string[]).includes(field);

/** The document as stored: costs as `Double` (a whole-number JS number would otherwise be written as int32). */
function encode(doc: GenerationStatus): Record<string, unknown> {
  const out: Record<string, unknown> = { ...doc };
  for (const f of COST_FIELDS) out[f] = new Double(doc[f]);
  for (const f of INT_COUNTER_FIELDS) out[f] = bsonInt(doc[f]);
  for (const f of ['budget_usd', 'budget_committed_usd'] as const) {
    const value = doc[f];
    if (typeof value === 'number') out[f] = new Double(value);
  }
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

/** The fields of the status document that never change after `initialize`. */
type FixedLimits = Pick<GenerationStatus, 'api_call_limits_LLM' | 'api_call_limits_images' | 'budget_usd'>;
const LIMITS_CACHE_SIZE = 10_000;

/** Repository for `world_generation_status`. */
export function createGenerationStatusRepository(db: Db) {
  const col = collectionOf(db, GenerationStatusCollection);
  const ledger = collectionOf(db, StatusLedgerCollection);

  async function get(worldId: string): Promise<GenerationStatus | null> {
    return col.findOne({ _id: worldId });
  }

  /**
   * The world's call limits and budget, read once per process: `initialize` writes them and nothing changes them
   * afterwards, so every later reservation of the world skips this read (one round trip per paid call).
   */
  const limitsCache = new Map<string, FixedLimits>();
  async function fixedLimits(worldId: string): Promise<FixedLimits | null> {
    const cached = limitsCache.get(worldId);
    if (cached) return cached;
    const doc = await col.findOne({ _id: worldId }, { projection: { api_call_limits_LLM: 1, api_call_limits_images: 1, budget_usd: 1 } });
    if (!doc) return null;
    const limits: FixedLimits = { api_call_limits_LLM: doc.api_call_limits_LLM, api_call_limits_images: doc.api_call_limits_images, budget_usd: doc.budget_usd };
    // Bounded: the oldest world is forgotten first (Map keeps insertion order); a forgotten world is read again.
    if (limitsCache.size >= LIMITS_CACHE_SIZE) limitsCache.delete(limitsCache.keys().next().value!);
    limitsCache.set(worldId, limits);
    return limits;
  }

  async function require(worldId: string): Promise<GenerationStatus> {
    const doc = await get(worldId);
    if (!doc) throw new NotFoundError(COLLECTION, worldId, 'generation status for world');
    return doc;
  }

  /**
   * Exact-once keyed increment of the status document, keeping that document small: the per-key record lives in
   * `status_ledger`; the status document holds only `pending_keys` (increments in flight, normally empty) and
   * `contended_keys` (keys whose attempts raced or crashed, normally empty). FerretDB 1.24 and MongoDB without
   * transactions cannot update two documents atomically, so this is a sequence of single-document atomic steps.
   * FerretDB 1.24 (SQLite) finds a document by `_id` only by scanning its collection, while an insert checks `_id`
   * uniqueness through an index, so the normal path touches the ever-growing ledger with inserts only.
   *
   *  1. Insert the attempt entry. Success → this is the first attempt for the key (the normal, fast path).
   *     Duplicate → a retry or a concurrent duplicate (slow path, 1a–1c):
   *     1a. If the applied entry exists, stop: already counted. (If the key is still pending and not contended, a
   *         crash hit between steps 3 and 4: perform step 4.)
   *     1b. Add the key to `contended_keys` (`$addToSet`), then 1c: re-check the applied entry; if it exists, stop.
   *  2. One conditional update of the status document: filter `{_id, pending_keys: {$ne: key}, ...guard}`, update
   *     `{$inc: increments, $push: {pending_keys: key}, $set: {updated_at}}`. The increment and the pending marker
   *     are written together. No match: the document is missing, or the key is pending (an earlier or concurrent
   *     attempt already incremented → "already applied"), or the guard failed (reserveApiCall: limit → "rejected").
   *  3. Insert the applied entry (a duplicate is fine).
   *  4. `$pull` the key from `pending_keys`, in an update whose filter requires the key NOT to be in
   *     `contended_keys` (only the fast path can get here with the key uncontended).
   *
   * Why at most one increment: after the first increment the key stays pending until step 4 pulls it. Step 4 happens
   * only after step 3 and only while the key is uncontended. Every other attempt marks the key contended (1b) before
   * it checks the applied entry (1c) and before its step 2. If it marked the key before the pull, the pull's filter
   * fails and the key stays pending forever, so its step 2 cannot match. If it marked the key after the pull, the
   * applied entry already existed at 1c and it stops. (Without 1b, an attempt could check the ledger, stall while
   * the first attempt runs steps 2–4, and then pass step 2's `$ne` filter: a double count.)
   *
   * Crash (or lost connection) between steps, then a retry with the same key, which takes the slow path:
   *  - after step 1: nothing incremented, no applied entry, key not pending. The retry marks the key contended,
   *    its step 2 applies the increment (exactly once), step 3 records it. The key stays in `pending_keys`.
   *  - after step 2: incremented, key pending, no applied entry. The retry's step 2 does not match (key pending), so
   *    there is no second increment; it records the applied entry and reports "already applied".
   *  - after step 3: the retry stops at 1a and performs the missing step 4 (safe by the same argument: the key is
   *    not contended, so no other attempt can be between 1b and step 2).
   *  - after step 4: complete; the retry stops at 1a.
   * The key stays in `pending_keys` / `contended_keys` only after a race or a crash: a stalled attempt cannot be told
   * apart from a crashed one, and keeping the key is what makes the stalled one safe. Counting is exact either way.
   */
  async function keyedIncrement(
    worldId: string,
    key: string,
    increments: Record<string, number>,
    guard: Record<string, unknown> = {},
  ): Promise<KeyedOutcome> {
    // Step 1.
    let fastPath = true;
    try {
      await ledger.insertOne(ledgerEntry(worldId, key, increments, false));
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      fastPath = false;
    }
    return afterAttemptEntry(worldId, key, increments, guard, fastPath);
  }

  /** The `status_ledger` entry of one attempt (`applied` false) or of the applied increment (`applied` true). */
  const ledgerEntry = (worldId: string, key: string, increments: Record<string, number>, applied: boolean) =>
    validateDoc(StatusLedgerCollection, {
      _id: applied ? `${worldId}|${key}` : `attempt:${worldId}|${key}`,
      world_id: worldId,
      key,
      increments,
      applied,
      created_at: new Date(),
    });

  /** Step 4 of {@link keyedIncrement} for one key. */
  const unmarkPending = (worldId: string, key: string) =>
    col.updateOne({ _id: worldId, pending_keys: key, contended_keys: { $ne: key } }, { $pull: { pending_keys: key } });

  /**
   * {@link keyedIncrement} after step 1: `fastPath` says whether this attempt's entry was the key's first (inserted)
   * or a duplicate (a retry or a concurrent duplicate: the slow path).
   */
  async function afterAttemptEntry(
    worldId: string,
    key: string,
    increments: Record<string, number>,
    guard: Record<string, unknown>,
    fastPath: boolean,
  ): Promise<KeyedOutcome> {
    const appliedRecorded = async () =>
      (await ledger.findOne({ _id: `${worldId}|${key}` }, { projection: { _id: 1 } })) !== null;
    const step4 = () => unmarkPending(worldId, key);
    if (!fastPath) {
      // 1a.
      if (await appliedRecorded()) {
        await step4();
        return 'already_applied';
      }
      if (Object.keys(guard).length > 0) {
        // Counters never decrease: if the guard fails now and the key is not pending, step 2 cannot match; answer
        // without marking the key contended (a retried `limit_reached` leaves nothing behind).
        const doc = await col.findOne({ _id: worldId }, { projection: { pending_keys: 1 } });
        if (!doc) return 'missing';
        const guarded = await col.findOne({ _id: worldId, ...guard } as Filter<GenerationStatus>, { projection: { _id: 1 } });
        if (!guarded && !(doc.pending_keys ?? []).includes(key)) return 'rejected';
      }
      // 1b, 1c.
      const marked = await col.updateOne({ _id: worldId }, { $addToSet: { contended_keys: key } });
      if (marked.matchedCount === 0) return 'missing';
      if (await appliedRecorded()) return 'already_applied';
    }

    // Step 2.
    const inc = encodeIncrements(increments);
    let outcome: KeyedOutcome | undefined;
    for (let attempt = 0; outcome === undefined; attempt++) {
      const result = await col.updateOne(
        { _id: worldId, pending_keys: { $ne: key }, ...guard } as Filter<GenerationStatus>,
        {
          ...(Object.keys(inc).length > 0 ? { $inc: inc as UpdateFilter<GenerationStatus>['$inc'] } : {}),
          $push: { pending_keys: key },
          $set: { updated_at: new Date() },
        },
      );
      if (result.matchedCount === 1) {
        outcome = 'applied';
        break;
      }
      // A pending key is only pulled after step 3, and only while uncontended; an attempt that gets here on the
      // fast path has not written step 3, so "pending now" ⇔ "pending at the update".
      const doc = await col.findOne({ _id: worldId }, { projection: { pending_keys: 1 } });
      if (!doc) outcome = 'missing';
      else if ((doc.pending_keys ?? []).includes(key)) outcome = 'already_applied';
      else if (Object.keys(guard).length > 0) outcome = 'rejected';
      // Otherwise the document appeared between the update and the read (a concurrent `initialize`): try again.
      else if (attempt >= MAX_CAS_ATTEMPTS) throw new ConcurrencyError(`keyed increment ${worldId}|${key} kept missing`);
    }
    if (outcome === 'applied' || outcome === 'already_applied') {
      // Step 3.
      try {
        await ledger.insertOne(ledgerEntry(worldId, key, increments, true));
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
      }
      // Step 4 (its filter makes it a no-op for a contended key).
      if (fastPath) await step4();
    }
    return outcome;
  }

  /**
   * Several unguarded keyed increments of one world in the round trips of one: each step of {@link keyedIncrement}
   * is issued once for all keys instead of once per key, and every key goes through exactly the states of the
   * single-key protocol — same ledger entries, same `pending_keys` / `contended_keys` markers — so its proof holds
   * key by key, and an attempt of the same key by {@link keyedIncrement} (a retry, an older worker) interleaves safely:
   *
   *  1. One unordered insert of every key's attempt entry: each entry is inserted or refused on its own, exactly as
   *     its own insert. A refused (duplicate) key continues alone on the slow path.
   *  2. For the keys whose entry was inserted, one conditional update whose filter is the conjunction of their
   *     step-2 filters (`pending_keys` contains none of them) and whose update is their step-2 updates together
   *     (`$inc` of the summed increments, `$push` of every key): atomic on one document, so it is every key's step 2
   *     at one instant. No match (the document is missing, or a key got pending through a concurrent duplicate):
   *     nothing was written, and each key continues alone from its own step 2 on the fast path.
   *  3. One unordered insert of every applied entry (duplicates are fine, as for one key).
   *  4. One `$pullAll` of the keys whose filter is the conjunction of their step-4 filters (all pending, none
   *     contended): every key's step 4 at one instant. No match (some key contended): each key's own step 4.
   *
   * Summing is exact for integer counters; a money field incremented by more than one key is not summed (a different
   * rounding than one increment after the other): such a batch runs key by key.
   */
  async function keyedIncrements(worldId: string, items: readonly { key: string; increments: Record<string, number> }[]): Promise<KeyedOutcome[]> {
    if (new Set(items.map((i) => i.key)).size !== items.length) {
      throw new RepositoryValidationError(COLLECTION, [{ field: 'key', message: 'a batch names a key more than once' }]);
    }
    const moneyUses = new Map<string, number>();
    for (const { increments } of items) for (const f of Object.keys(increments)) if (isMoneyField(f)) moneyUses.set(f, (moneyUses.get(f) ?? 0) + 1);
    if (items.length <= 1 || [...moneyUses.values()].some((n) => n > 1)) {
      const outcomes: KeyedOutcome[] = [];
      for (const { key, increments } of items) outcomes.push(await keyedIncrement(worldId, key, increments));
      return outcomes;
    }
    // Step 1.
    const refused = new Set<number>();
    try {
      await ledger.insertMany(
        items.map(({ key, increments }) => ledgerEntry(worldId, key, increments, false)),
        { ordered: false },
      );
    } catch (e) {
      const indexes = duplicateIndexes(e);
      if (indexes === null) throw e;
      for (const i of indexes) refused.add(i);
    }
    const outcomes: KeyedOutcome[] = new Array<KeyedOutcome>(items.length);
    for (const i of refused) outcomes[i] = await afterAttemptEntry(worldId, items[i]!.key, items[i]!.increments, {}, false);
    const fresh = items.map((item, i) => ({ ...item, i })).filter(({ i }) => !refused.has(i));
    if (fresh.length === 1) {
      const only = fresh[0]!;
      outcomes[only.i] = await afterAttemptEntry(worldId, only.key, only.increments, {}, true);
      return outcomes;
    }
    if (fresh.length === 0) return outcomes;
    // Step 2.
    const keys = fresh.map((f) => f.key);
    const sum: Record<string, number> = {};
    for (const { increments } of fresh) for (const [f, n] of Object.entries(increments)) sum[f] = (sum[f] ?? 0) + n;
    const inc = encodeIncrements(sum);
    const result = await col.updateOne(
      { _id: worldId, pending_keys: { $nin: keys } } as Filter<GenerationStatus>,
      {
        ...(Object.keys(inc).length > 0 ? { $inc: inc as UpdateFilter<GenerationStatus>['$inc'] } : {}),
        $push: { pending_keys: { $each: keys } },
        $set: { updated_at: new Date() },
      },
    );
    if (result.matchedCount !== 1) {
      for (const f of fresh) outcomes[f.i] = await afterAttemptEntry(worldId, f.key, f.increments, {}, true);
      return outcomes;
    }
    for (const f of fresh) outcomes[f.i] = 'applied';
    // Step 3.
    try {
      await ledger.insertMany(
        fresh.map(({ key, increments }) => ledgerEntry(worldId, key, increments, true)),
        { ordered: false },
      );
    } catch (e) {
      if (duplicateIndexes(e) === null) throw e;
    }
    // Step 4.
    const unmarked = await col.updateOne(
      { _id: worldId, pending_keys: { $all: keys }, contended_keys: { $nin: keys } } as Filter<GenerationStatus>,
      { $pullAll: { pending_keys: keys } } as UpdateFilter<GenerationStatus>,
    );
    if (unmarked.matchedCount !== 1) for (const key of keys) await unmarkPending(worldId, key);
    return outcomes;
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
        pending_keys: [],
        contended_keys: [],
        // Only worlds with a budget carry the budget fields (world-service's decoder ignores them).
        ...(typeof input.budgetUsd === 'number' ? { budget_usd: input.budgetUsd, budget_committed_usd: 0 } : {}),
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
     * Several stage moves (and the world's first error) in one compare-and-set on `revision`: the document is read,
     * `plan` is applied to it, and the result is written by one `findOneAndUpdate` guarded by the revision read; on a
     * conflict the document is read again and `plan` re-applied (a function plan is asked again, so it decides on the
     * document it writes). Each move has {@link advanceStage}'s rules, applied in order: forward only (a completed or
     * failed stage never changes, a repeated status is a no-op), and the first failure sets `error` if none is set.
     * `error` in the plan is recorded first, if the document has none (as {@link recordError} before the moves).
     * Nothing to change: no write, the current document is returned. Concurrent `advanceStage`/`recordError` calls
     * bump `revision` too, so neither side's change can be lost.
     */
    async advanceStages(
      worldId: string,
      plan: readonly StageMove[] | ((doc: GenerationStatus) => StageBatch),
    ): Promise<GenerationStatus> {
      const check = (moves: readonly StageMove[]) => {
        const unknown = moves.find((m) => !STAGE_NAMES.includes(m.stage));
        if (unknown) throw new RepositoryValidationError(COLLECTION, [{ field: 'stages.name', message: `unknown stage '${unknown.stage}'` }]);
      };
      if (typeof plan !== 'function') check(plan);
      for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
        const doc = await require(worldId);
        const batch: StageBatch = typeof plan === 'function' ? plan(doc) : { moves: plan };
        if (typeof plan === 'function') check(batch.moves);
        let error = doc.error ?? null;
        if (error === null && batch.error != null) error = batch.error;
        let stages: Stage[] = doc.stages;
        for (const { stage, status, reason } of batch.moves) {
          const previous = stages.find((s) => s.name === stage)?.status ?? 'pending';
          if (isFinal(previous) || previous === status) continue;
          stages = stages.map((s) => (s.name === stage ? { name: s.name, status, ...(reason !== undefined ? { reason } : {}) } : s));
          if (status === 'failed' && error === null) error = reason ?? `stage ${stage} failed`;
        }
        if (stages === doc.stages && error === (doc.error ?? null)) return doc;
        const updated = await col.findOneAndUpdate(
          { _id: worldId, revision: doc.revision } as Filter<GenerationStatus>,
          {
            $set: { stages, status: overallStatus(stages), current_stage: currentStage(stages), error, updated_at: new Date() },
            $inc: { revision: 1 },
          },
          { returnDocument: 'after' },
        );
        if (updated) return updated;
        await sleep(Math.random() * Math.min(50, 2 ** attempt));
      }
      throw new ConcurrencyError(`advanceStages(${worldId}) lost ${MAX_CAS_ATTEMPTS} races`);
    },

    /**
     * Applies counter increments exactly once per `key` (see {@link keyedIncrement} for the protocol). Returns true iff
     * this call applied them; false when the key was already applied (by an earlier or a concurrent call).
     * Int counters are written as BSON integers, costs as BSON doubles (a `Double` operand keeps the field double).
     * Keys share one namespace with {@link reserveApiCall}'s keys. A retry is expected to pass the same increments
     * (the ledger records each attempt's; only the attempt whose step 2 matched has its increments counted).
     * @throws NotFoundError when the document does not exist.
     */
    async applyOnce(worldId: string, key: string, increments: CounterIncrements): Promise<boolean> {
      const plain = validateIncrements(increments);
      const outcome = await keyedIncrement(worldId, key, plain);
      if (outcome === 'missing') throw new NotFoundError(COLLECTION, worldId, 'generation status for world');
      return outcome === 'applied';
    },

    /**
     * {@link applyOnce} for several keys of one world in the round trips of one (see {@link keyedIncrements}): returns,
     * key by key, whether this call applied it. Each key is applied exactly once whether it arrives here, through
     * {@link applyOnce}, or both (a retry by either, an older worker).
     * @throws NotFoundError when the document does not exist.
     */
    async applyManyOnce(worldId: string, items: readonly { key: string; increments: CounterIncrements }[]): Promise<boolean[]> {
      const plain = items.map(({ key, increments }) => ({ key, increments: validateIncrements(increments) }));
      const outcomes = await keyedIncrements(worldId, plain);
      if (outcomes.includes('missing')) throw new NotFoundError(COLLECTION, worldId, 'generation status for world');
      return outcomes.map((o) => o === 'applied');
    },

    /**
     * The world's applied keys that start with `prefix` (from `status_ledger`), so a sweep can skip what is counted
     * already instead of taking {@link applyOnce}'s slower path for every key. Read-only.
     */
    async appliedKeys(worldId: string, prefix: string): Promise<Set<string>> {
      const docs = await ledger.find({ world_id: worldId, applied: true }, { projection: { key: 1 } }).toArray();
      return new Set(docs.map((d) => d.key).filter((k) => k.startsWith(prefix)));
    },

    /**
     * Reserves one API call against the world's limit, once per `key` (same protocol as {@link applyOnce}, whose
     * step 2 additionally requires `api_calls_made_X < limit`). On `limit_reached` nothing is incremented and no
     * pending key is left behind; a later retry with the same key is evaluated afresh (and, since limits never
     * change and counters never decrease, is again `limit_reached`).
     *
     * Portable formulation: comparing `api_calls_made_X` with `api_call_limits_X` in one filter needs `$expr`, whose
     * `$lt` FerretDB 1.24 does not implement. Limits never change after `initialize`, so the limit is read once and
     * the update filters on `{ api_calls_made_X: { $lt: limit } }` — still a single atomic conditional update, so
     * concurrent callers can never exceed the limit.
     */
    async reserveApiCall(worldId: string, kind: ApiCallKind, key: string): Promise<ReserveResult> {
      const made = kind === 'llm' ? 'api_calls_made_LLM' : 'api_calls_made_images';
      const limitField = kind === 'llm' ? 'api_call_limits_LLM' : 'api_call_limits_images';
      const doc = await fixedLimits(worldId);
      if (!doc) return 'missing';
      const limit = doc[limitField];
      const outcome = await keyedIncrement(worldId, key, { [made]: 1 }, { [made]: { $lt: limit } });
      switch (outcome) {
        case 'applied':
          return 'reserved';
        case 'already_applied':
          return 'already_reserved';
        case 'rejected':
          return 'limit_reached';
        case 'missing':
          return 'missing';
      }
    },

    /**
     * {@link reserveApiCall} that, in a world with a budget, also reserves the call's expected cost: one keyed,
     * guarded increment of `api_calls_made_X` and `budget_committed_usd`, refused when either the call limit is
     * reached or `budget_committed_usd + expected` would pass `budget_usd`. `expectedUsd` is asked only when the world
     * has a budget (it may throw, e.g. for a model without a price). A retry with the same key passes the same
     * expectation (it is derived from the request), so the key holds one amount whichever attempt applied it.
     *
     * Same portable formulation as the call limit: budgets never change after `initialize`, so the guard is the
     * single-field filter `budget_committed_usd ≤ budget − expected` (no `$expr`). Concurrent reservations cannot
     * pass the budget together: each is one atomic conditional update of the document.
     */
    async reserveCall(worldId: string, kind: ApiCallKind, key: string, expectedUsd: () => number): Promise<CallReservation> {
      const made = kind === 'llm' ? 'api_calls_made_LLM' : 'api_calls_made_images';
      const limitField = kind === 'llm' ? 'api_call_limits_LLM' : 'api_call_limits_images';
      const doc = await fixedLimits(worldId);
      if (!doc) return { outcome: 'missing', budgetUsd: null, reservedUsd: 0 };
      const limit = doc[limitField];
      const budgetUsd = typeof doc.budget_usd === 'number' ? doc.budget_usd : null;
      const reservedUsd = budgetUsd === null ? 0 : expectedUsd();
      if (!Number.isFinite(reservedUsd) || reservedUsd < 0) {
        throw new RepositoryValidationError(COLLECTION, [{ field: 'budget_committed_usd', message: `expected cost ${reservedUsd} is not a finite number ≥ 0` }]);
      }
      const increments: Record<string, number> = { [made]: 1 };
      const guard: Record<string, unknown> = { [made]: { $lt: limit } };
      if (budgetUsd !== null) {
        increments.budget_committed_usd = reservedUsd;
        guard.budget_committed_usd = { $lte: budgetUsd - reservedUsd };
      }
      const outcome = await keyedIncrement(worldId, key, increments, guard);
      switch (outcome) {
        case 'applied':
          return { outcome: 'reserved', budgetUsd, reservedUsd };
        case 'already_applied':
          return { outcome: 'already_reserved', budgetUsd, reservedUsd };
        case 'missing':
          return { outcome: 'missing', budgetUsd, reservedUsd };
        case 'rejected': {
          // Which guard refused: the call count only grows, so a count at the limit is the limit's refusal.
          const now = await col.findOne({ _id: worldId }, { projection: { [made]: 1 } });
          const limitReached = budgetUsd === null || (now?.[made] ?? 0) >= limit;
          return { outcome: limitReached ? 'limit_reached' : 'budget_reached', budgetUsd, reservedUsd };
        }
      }
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
