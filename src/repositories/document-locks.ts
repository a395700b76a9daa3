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
 * @module
 */
import type { Collection, Document, MongoClient } from 'mongodb';

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
      return (filter: Document | undefined, ...rest: unknown[]) => {
        const run = () => (value as (...a: unknown[]) => Promise<unknown>).call(target, filter, ...rest);
        const id = filter?._id;
        return typeof id === 'string' ? held.document(id, run) : held.collection(run);
      };
    },
  });
}
