/**
 * `side_effects`: idempotency records for calls that create things in other services. Before such a call the
 * activity looks up its key; after it, it remembers the result. If two attempts race, the first stored result wins
 * and every caller gets it, so retries converge on one created thing.
 * @module
 */
import type { Db, UpdateFilter } from 'mongodb';
import { collectionOf, validateDoc } from './define-collection';
import { SideEffectCollection, type SideEffect } from './collections';
import { isDuplicateKeyError, NotFoundError } from './errors';

/**
 * A creation in a service that ignores idempotency keys, tracked across attempts:
 * `openCreation` (intent, with the exact request) → `claimCreation` (this attempt owns it) → `markSent` (the call
 * may now commit) → `completeCreation` (the id is known) | `markUnsent` (provably no effect) | `markAmbiguous`.
 */
export type CreationRecord = SideEffect & { state: 'pending' | 'done' | 'ambiguous'; request: Record<string, unknown> };

export interface OpenCreationInput {
  worldId: string;
  kind: string;
  request: Record<string, unknown>;
}

export interface RememberInput<R extends Record<string, unknown>> {
  worldId: string;
  kind: string;
  result: R;
}

/** Repository for `side_effects`. */
export function createSideEffectRepository(db: Db) {
  const col = collectionOf(db, SideEffectCollection);
  const asCreation = (doc: SideEffect | null): CreationRecord | null =>
    doc ? ({ ...doc, state: doc.state ?? 'done', request: doc.request ?? {} } as CreationRecord) : null;

  return {
    /** The creation record for `key` (a plain `remember` record reads as `done`), or null. */
    async getCreation(key: string): Promise<CreationRecord | null> {
      return asCreation(await col.findOne({ _id: key }));
    },

    /**
     * Records the intent to create, with the request every attempt will send, unless a record exists; returns the
     * stored record (the first request wins, so a retry sends what the first attempt prepared).
     */
    async openCreation(key: string, input: OpenCreationInput): Promise<CreationRecord> {
      const doc = validateDoc(SideEffectCollection, {
        _id: key,
        world_id: input.worldId,
        kind: input.kind,
        result: {},
        created_at: new Date(),
        state: 'pending',
        request: input.request,
        sent_at: null,
        match_keys: [],
      });
      try {
        await col.insertOne(doc);
        return asCreation(doc)!;
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        const first = asCreation(await col.findOne({ _id: key }));
        if (!first) throw new NotFoundError(SideEffectCollection.name, key, 'side effect');
        return first;
      }
    },

    /**
     * Makes `attempt` the owner of a pending creation unless a later attempt already is; returns the record as it
     * was before the claim, or null when the creation is no longer pending or belongs to a later attempt.
     */
    async claimCreation(key: string, attempt: number): Promise<CreationRecord | null> {
      const before = await col.findOneAndUpdate(
        { _id: key, state: 'pending', $or: [{ attempt: { $exists: false } }, { attempt: { $lte: attempt } }] },
        { $set: { attempt } },
        { returnDocument: 'before' },
      );
      return asCreation(before);
    },

    /** Marks the call as (about to be) sent by `attempt`; false if the attempt no longer owns the creation. */
    async markSent(key: string, attempt: number, matchKey?: string): Promise<boolean> {
      const res = await col.updateOne(
        { _id: key, state: 'pending', attempt },
        { $set: { sent_at: new Date() }, ...(matchKey !== undefined ? { $addToSet: { match_keys: matchKey } } : {}) },
      );
      return res.matchedCount === 1;
    },

    /** The call provably had no effect: a later attempt may send without reconciling first. */
    async markUnsent(key: string, attempt: number): Promise<void> {
      await col.updateOne({ _id: key, state: 'pending', attempt }, { $set: { sent_at: null } });
    },

    /** Stores the created thing's result unless a result is stored already; returns the stored (first) record. */
    async completeCreation<R extends Record<string, unknown>>(key: string, result: R): Promise<CreationRecord> {
      // One round trip when this call completes it; the stored record is read only when it was finished already.
      const completed = await col.findOneAndUpdate({ _id: key, state: 'pending' }, { $set: { state: 'done', result, sent_at: null } }, { returnDocument: 'after' });
      const doc = asCreation(completed ?? (await col.findOne({ _id: key })));
      if (!doc) throw new NotFoundError(SideEffectCollection.name, key, 'side effect');
      return doc;
    },

    /** The creation may have happened but cannot be found: never create it again. Returns the stored record. */
    async markAmbiguous(key: string, reason: string): Promise<CreationRecord> {
      const marked = await col.findOneAndUpdate({ _id: key, state: 'pending' }, { $set: { state: 'ambiguous', reason } }, { returnDocument: 'after' });
      const doc = asCreation(marked ?? (await col.findOne({ _id: key })));
      if (!doc) throw new NotFoundError(SideEffectCollection.name, key, 'side effect');
      return doc;
    },

    /**
     * Claims `name` for `owner` within `scope` (insert-only on a unique `_id`, so two concurrent claims of one name
     * cannot both win). True if `owner` holds the claim (now or from an earlier attempt).
     */
    async claimName(scope: string, name: string, owner: string, worldId: string): Promise<boolean> {
      const _id = `name:${scope}:${name}`;
      try {
        await col.insertOne(validateDoc(SideEffectCollection, { _id, world_id: worldId, kind: 'name_claim', result: { owner }, created_at: new Date() }));
        return true;
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        const held = await col.findOne({ _id }, { projection: { result: 1 } });
        return held?.result.owner === owner;
      }
    },

    /** The stored result for `key`, or null. */
    async find<R extends Record<string, unknown> = Record<string, unknown>>(key: string): Promise<R | null> {
      const doc = await col.findOne({ _id: key }, { projection: { result: 1 } });
      return doc ? (doc.result as R) : null;
    },

    /**
     * Removes one field of a stored result (e.g. a presigned URL, whose signature is a credential, once the upload it
     * was for is confirmed and the URL can never be needed again). Idempotent.
     */
    async forgetResultField(key: string, field: string): Promise<void> {
      await col.updateOne({ _id: key }, { $unset: { [`result.${field}`]: '' } } as UpdateFilter<SideEffect>);
    },

    /** Stores the result for `key` unless one is stored already; returns the stored (first) result. */
    async remember<R extends Record<string, unknown>>(key: string, input: RememberInput<R>): Promise<R> {
      const doc = validateDoc(SideEffectCollection, {
        _id: key,
        world_id: input.worldId,
        kind: input.kind,
        result: input.result,
        created_at: new Date(),
      });
      try {
        await col.insertOne(doc);
        return input.result;
      } catch (e) {
        if (!isDuplicateKeyError(e)) throw e;
        const first = await col.findOne({ _id: key }, { projection: { result: 1 } });
        if (!first) throw new NotFoundError(SideEffectCollection.name, key, 'side effect');
        return first.result as R;
      }
    },
  };
}

export type SideEffectRepository = ReturnType<typeof createSideEffectRepository>;
