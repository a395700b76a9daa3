/**
 * `api_requests_history`: audit log, one row per external call attempt (spec 6.5).
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Double, type Db, type OptionalUnlessRequiredId } from 'mongodb';
import { collectionOf, validateDoc, type NewDocOf } from './define-collection';
import { ApiRequestCollection, type ApiRequest } from './collections';
import { isDuplicateKeyError, RepositoryValidationError } from './errors';

/** What callers pass: `_id` and `created_at` optional (a UUID and now by default). */
export type ApiRequestEntry = Omit<NewDocOf<typeof ApiRequestCollection>, '_id' | 'created_at'> & {
  _id?: string;
  created_at?: Date;
};

/** Key names that must never appear anywhere in `request_data` (credentials). */
const CREDENTIAL_KEY = /^(api[_-]?key|apikey|x[_-]api[_-]key|authorization|proxy[_-]authorization|password|access[_-]?token|bearer)$/i;

function findCredentialPaths(value: unknown, path: string, out: string[], depth = 0): string[] {
  if (depth > 20 || value === null || typeof value !== 'object') return out;
  for (const [k, child] of Object.entries(value)) {
    const p = Array.isArray(value) ? `${path}[${k}]` : `${path}.${k}`;
    if (!Array.isArray(value) && CREDENTIAL_KEY.test(k)) out.push(p);
    findCredentialPaths(child, p, out, depth + 1);
  }
  return out;
}

/** Repository for `api_requests_history`. */
export function createApiRequestRepository(db: Db) {
  const col = collectionOf(db, ApiRequestCollection);
  return {
    /**
     * Appends one audit row. Rejects (RepositoryValidationError) request data carrying credential-named keys.
     * `cost` is stored as BSON double.
     */
    async record(entry: ApiRequestEntry): Promise<ApiRequest> {
      const doc = validateDoc(ApiRequestCollection, {
        ...entry,
        _id: entry._id ?? randomUUID(),
        created_at: entry.created_at ?? new Date(),
      });
      const leaked = findCredentialPaths(doc.request_data, 'request_data', []);
      if (leaked.length > 0) {
        throw new RepositoryValidationError(
          ApiRequestCollection.name,
          leaked.map((field) => ({ field, message: 'looks like a credential; strip it before recording' })),
        );
      }
      const stored = { ...doc, cost: doc.cost === null ? null : new Double(doc.cost) };
      // Cast: `cost` is a BSON Double where the read type has `number`.
      try {
        await col.insertOne(stored as unknown as OptionalUnlessRequiredId<ApiRequest>);
      } catch (e) {
        // The row's id is derived from the request it describes: a second write is the same row.
        if (!isDuplicateKeyError(e)) throw e;
      }
      return doc;
    },

    /** The world's audit rows, oldest first. */
    listByWorld(worldId: string): Promise<ApiRequest[]> {
      return col.find({ world_id: worldId }).sort({ created_at: 1, _id: 1 }).toArray();
    },
  };
}

export type ApiRequestRepository = ReturnType<typeof createApiRequestRepository>;
