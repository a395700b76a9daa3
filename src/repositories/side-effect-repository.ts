/**
 * `side_effects`: idempotency records for calls that create things in other services. Before such a call the
 * activity looks up its key; after it, it remembers the result. If two attempts race, the first stored result wins
 * and every caller gets it, so retries converge on one created thing.
 * @module
 */
import type { Db } from 'mongodb';
import { collectionOf, validateDoc } from './define-collection';
import { SideEffectCollection } from './collections';
import { isDuplicateKeyError, NotFoundError } from './errors';

export interface RememberInput<R extends Record<string, unknown>> {
  worldId: string;
  kind: string;
  result: R;
}

/** Repository for `side_effects`. */
export function createSideEffectRepository(db: Db) {
  const col = collectionOf(db, SideEffectCollection);
  return {
    /** The stored result for `key`, or null. */
    async find<R extends Record<string, unknown> = Record<string, unknown>>(key: string): Promise<R | null> {
      const doc = await col.findOne({ _id: key }, { projection: { result: 1 } });
      return doc ? (doc.result as R) : null;
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
