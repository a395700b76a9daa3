/**
 * Per-document write serialisation for FerretDB 1.x, which implements an update as "read the matching documents,
 * apply the update in Go, write each document back" in separate statements: two updates of one document that
 * overlap on different connections lose one of them (measured: 50 concurrent `$inc` from a 50-connection pool left
 * 1–11; the PostgreSQL backend loses them the same way — docs/performance-db-runtime.md). MongoDB makes every
 * single-document update atomic, so this is a FerretDB-only measure.
 *
 * Instead of one connection for everything (every operation of every activity in one line), only writes to the
 * *same document* wait for each other: a write whose filter names a string `_id` holds that document's lock; a
 * write without one (none of the repositories issue such a write) holds the whole collection. Inserts need no lock
 * (`_id` uniqueness is enforced by the backend's unique index) and reads none (a document is written back in one
 * statement, so a read sees it before or after). The guarantee holds within one process — which is why, on
 * FerretDB, one process runs every activity role (README).
 *
 * The same lock makes conditional writes cheap. FerretDB 1.24's SQLite backend looks a document up by its index only
 * when the filter is exactly `{ _id }`; `{ _id, status: … }` reads and decodes every document of the collection
 * (measured: 150 ms per conditional update at 1,000 tasks against 6 ms for a read and a write by `_id`, see
 * docs/performance-db-runtime.md). With the document's writes serialised here, "read it by `_id`, test the rest of
 * the filter, write it by `_id`" is as atomic as the single conditional update, so that is what a conditional write
 * becomes on FerretDB once its collection is large enough for the scan to cost more than the extra round trip. The test is `sift` (MongoDB's query semantics in JS: `null` matches a missing field, `$ne`
 * on an array means "contains no such element" — the operators the repositories use are checked against the server
 * by test/repositories/document-locks.test.ts).
 * @module
 */
import type { Collection, Document, MongoClient } from 'mongodb';
import sift from 'sift';

/** Collection methods that read-modify-write documents selected by their first argument (the filter). */
const LOCKED_METHODS = new Set([
  'updateOne',
  'updateMany',
  'replaceOne',
  'findOneAndUpdate',
  'findOneAndReplace',
  'findOneAndDelete',
  'deleteOne',
  'deleteMany',
]);

/** Write locks of one collection: documents by `_id`, plus an exclusive lock for writes that name no `_id`. */
class CollectionLocks {
  /** The collection's size as last counted (see {@link scanIsCostly}). */
  documents = 0;
  countedAt = Number.NEGATIVE_INFINITY;
  private readonly tails = new Map<string, Promise<void>>();
  /** Settles when the last collection-wide write has finished. */
  private exclusive: Promise<void> = Promise.resolve();
  private readonly inFlight = new Set<Promise<void>>();

  async document<T>(id: string, fn: () => Promise<T>): Promise<T> {
    // Queue behind the document's previous write; also behind a pending collection-wide write.
    const previous = Promise.all([this.tails.get(id), this.exclusive]);
    const result = previous.then(fn);
    const tail = result.then(noop, noop);
    this.tails.set(id, tail);
    this.inFlight.add(tail);
    void tail.then(() => {
      this.inFlight.delete(tail);
      if (this.tails.get(id) === tail) this.tails.delete(id);
    });
    return result;
  }

  async collection<T>(fn: () => Promise<T>): Promise<T> {
    const previous = Promise.all([this.exclusive, ...this.inFlight]);
    const result = previous.then(fn);
    this.exclusive = result.then(noop, noop);
    return result;
  }
}

const noop = () => {};

/**
 * When a conditional write is split into a read and a write by `_id`: a scan decodes every document, the split costs
 * one round trip more, so the split pays once the collection holds more than a few dozen documents (measured: about
 * even at 50 tasks, 6× cheaper at 250, 25× at 1,000 — docs/performance-db-runtime.md). The size is recounted in the
 * background at most every `recountMs`; until the first count answers, the server's own conditional write is used.
 * Tests set `scanThreshold` to -1 to take the split path always.
 */
export const conditionalWriteTuning = { scanThreshold: 50, recountMs: 5_000 };

function scanIsCostly(locks: CollectionLocks, collection: Collection): boolean {
  if (conditionalWriteTuning.scanThreshold < 0) return true;
  const now = Date.now();
  if (now - locks.countedAt >= conditionalWriteTuning.recountMs) {
    locks.countedAt = now;
    collection.estimatedDocumentCount().then(
      (n) => (locks.documents = n),
      () => {},
    );
  }
  return locks.documents > conditionalWriteTuning.scanThreshold;
}

/** What the driver answers when a write's filter matched nothing. */
function noMatch(method: string, options: Document | undefined): unknown {
  if (method.startsWith('findOneAnd')) return options?.includeResultMetadata ? { value: null, ok: 1 } : null;
  if (method.startsWith('delete')) return { acknowledged: true, deletedCount: 0 };
  return { acknowledged: true, matchedCount: 0, modifiedCount: 0, upsertedCount: 0, upsertedId: null };
}

/** The lock table of every client whose document writes are serialised. */
const serialisedClients = new WeakMap<MongoClient, Map<string, CollectionLocks>>();

/** From now on, collections taken through {@link lockedCollection} on `client` serialise writes per document. */
export function serialiseDocumentWrites(client: MongoClient): void {
  if (!serialisedClients.has(client)) serialisedClients.set(client, new Map());
}

/** True when writes through `client` are serialised per document (FerretDB). */
export function documentWritesSerialised(client: MongoClient): boolean {
  return serialisedClients.has(client);
}

/**
 * The collection itself, or — for a client marked with {@link serialiseDocumentWrites} — a view of it whose
 * read-modify-write methods wait for the same document's earlier writes. Everything else passes through.
 */
export function lockedCollection<T extends Document>(collection: Collection<T>, client: MongoClient): Collection<T> {
  const table = serialisedClients.get(client);
  if (!table) return collection;
  const name = `${collection.dbName}.${collection.collectionName}`;
  let locks = table.get(name);
  if (!locks) table.set(name, (locks = new CollectionLocks()));
  const held = locks;
  return new Proxy(collection, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if (typeof property !== 'string' || !LOCKED_METHODS.has(property) || typeof value !== 'function') return value;
      const method = value as (...a: unknown[]) => Promise<unknown>;
      return (filter: Document | undefined, ...rest: unknown[]) => {
        const id = filter?._id;
        if (typeof id !== 'string') return held.collection(() => method.call(target, filter, ...rest));
        const { _id, ...condition } = filter!;
        // (filter, options) for deletes, (filter, update | replacement, options) for the rest.
        const options = (property === 'findOneAndDelete' || property.startsWith('delete') ? rest[0] : rest[1]) as Document | undefined;
        // An upsert must insert when the condition fails, which only the server's own evaluation does.
        if (Object.keys(condition).length === 0 || options?.upsert || !scanIsCostly(held, target as unknown as Collection)) {
          return held.document(id, () => method.call(target, filter, ...rest));
        }
        return held.document(id, async () => {
          const current = await (target as unknown as Collection).findOne({ _id });
          if (current === null || !sift(condition)(current)) return noMatch(property, options);
          return method.call(target, { _id }, ...rest);
        });
      };
    },
  });
}
