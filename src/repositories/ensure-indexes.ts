/**
 * Start-up index ensuring that is safe to run from any number of worker processes at once, against a database that
 * has all, some or none of the indexes, on MongoDB and FerretDB alike.
 *
 * Why not one `createIndexes` call with every index: FerretDB 1.24 panics (and drops the connection) when two or
 * more of the listed indexes already exist — `validateIndexesForCreation` deletes already-existing entries from a
 * filtered copy of the list by their position in the unfiltered one (internal/handler/msg_createindexes.go), which
 * runs past the end of the slice, or with three indexes can silently skip a missing one. So: list what exists,
 * create only what is missing, one index per call (a one-element list cannot hit that bug), and after any failure
 * look again — another process creating the same index at the same moment is a benign race, whatever error it
 * surfaced as. FerretDB also ignores option differences such as `unique` when the name and key match, so the
 * comparison with what exists is done here, for both servers, and a real conflict fails with the collection and
 * index named.
 * @module
 */
import { MongoServerError, type Collection, type Db, type Document, type IndexDescription } from 'mongodb';
import type { CollectionDef } from './define-collection';

/** An index that exists with the declared name or key but a different definition: an operator must decide. */
export class IndexConflictError extends Error {
  override readonly name = 'IndexConflictError';
  constructor(
    readonly collection: string,
    readonly index: string,
    detail: string,
  ) {
    super(`collection "${collection}", index "${index}": ${detail}`);
  }
}

export interface EnsureIndexesOptions {
  /** Receives one line per index created or raced for. Default: silent. */
  log?: (message: string, fields: Record<string, unknown>) => void;
  /** Attempts per index before a persistent failure is reported. Default 8 (about 10 s of back-off). */
  attempts?: number;
}

/** Options that change what an index means; anything else (v, ns, background) is ignored in comparisons. */
const MEANINGFUL_OPTIONS = ['unique', 'sparse', 'expireAfterSeconds', 'partialFilterExpression', 'collation'] as const;

type KeyPairs = [field: string, direction: string][];

interface Wanted {
  name: string;
  key: KeyPairs;
  description: IndexDescription;
}

/** Creates every declared index that does not exist yet. Idempotent and safe to run concurrently. */
export async function ensureIndexes(db: Db, defs: readonly CollectionDef[], opts: EnsureIndexesOptions = {}): Promise<void> {
  for (const def of defs) {
    if (def.indexes.length === 0) continue;
    const collection = db.collection(def.name);
    // One listing per collection answers the usual restart (every index present) without a round trip per index;
    // an index found missing is handled by ensureOne, which looks again before and after creating it.
    const existing = await listIndexes(collection).catch(() => undefined);
    for (const description of def.indexes) {
      const want = wanted(description);
      if (existing && presentIn(existing, collection, want)) continue;
      await ensureOne(collection, want, opts);
    }
  }
}

async function ensureOne(collection: Collection, want: Wanted, opts: EnsureIndexesOptions): Promise<void> {
  const attempts = opts.attempts ?? 8;
  let lastError: unknown;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    try {
      // Throws IndexConflictError for a real conflict: that is never retried.
      if (await isPresent(collection, want)) {
        if (lastError !== undefined) opts.log?.('index created concurrently by another process', fields(collection, want, lastError));
        return;
      }
      await collection.createIndexes([{ ...want.description, name: want.name }]);
      opts.log?.('index created', fields(collection, want));
      return;
    } catch (err) {
      if (err instanceof IndexConflictError) throw err;
      // Whatever it was — another process's build in progress, a duplicate-name race, a dropped connection — the
      // next look at the index list decides; only a failure that persists is reported.
      lastError = err;
      if (attempt < attempts) await sleep(Math.min(100 * 2 ** (attempt - 1), 2_000));
    }
  }
  const cause = lastError instanceof Error ? lastError.message : String(lastError);
  throw new Error(`collection "${collection.collectionName}", index "${want.name}": could not be created after ${attempts} attempts: ${cause}`, {
    cause: lastError,
  });
}

/** True when the index exists as declared; false when it is missing; throws when it exists differently. */
async function isPresent(collection: Collection, want: Wanted): Promise<boolean> {
  return presentIn(await listIndexes(collection), collection, want);
}

/** {@link isPresent} against a listing already made. */
function presentIn(listing: readonly Document[], collection: Collection, want: Wanted): boolean {
  for (const existing of listing) {
    const name = String(existing.name);
    const key = keyPairs(existing.key as Document);
    const sameName = name === want.name;
    const sameKey = sameKeys(key, want.key);
    if (!sameName && !sameKey) continue;
    if (sameName && !sameKey) {
      throw new IndexConflictError(collection.collectionName, want.name, `exists with key ${showKey(key)} but is declared with key ${showKey(want.key)}`);
    }
    if (!sameName) {
      throw new IndexConflictError(collection.collectionName, want.name, `its key ${showKey(want.key)} is already indexed as "${name}"`);
    }
    const differences = MEANINGFUL_OPTIONS.filter((o) => !sameOption(existing[o], (want.description as Document)[o]));
    if (differences.length > 0) {
      const show = (d: Document) => JSON.stringify(Object.fromEntries(differences.map((o) => [o, d[o] ?? null])));
      throw new IndexConflictError(
        collection.collectionName,
        want.name,
        `exists with ${show(existing)} but is declared with ${show(want.description as Document)}; drop it or rename the declaration`,
      );
    }
    return true;
  }
  return false;
}

async function listIndexes(collection: Collection): Promise<Document[]> {
  try {
    return await collection.listIndexes().toArray();
  } catch (err) {
    // The collection does not exist yet (both servers): no indexes, and createIndexes will create it.
    if (err instanceof MongoServerError && (err.code === 26 || err.codeName === 'NamespaceNotFound')) return [];
    throw err;
  }
}

function wanted(description: IndexDescription): Wanted {
  const key = keyPairs(description.key as Document | Map<string, unknown>);
  if (key.length === 0) throw new Error(`an index declaration has an empty key: ${JSON.stringify(description)}`);
  // The server's default name, so an unnamed declaration is compared by the name it will get.
  const name = description.name ?? key.map(([f, d]) => `${f}_${d}`).join('_');
  return { name, key, description };
}

function keyPairs(key: Document | Map<string, unknown>): KeyPairs {
  const entries = key instanceof Map ? [...key.entries()] : Object.entries(key);
  // Directions arrive as int32, double or Long depending on server and driver: compare their text.
  return entries.map(([field, direction]) => [field, String(typeof direction === 'object' && direction !== null ? Number(direction) : direction)]);
}

function sameKeys(a: KeyPairs, b: KeyPairs): boolean {
  return a.length === b.length && a.every(([f, d], i) => b[i]![0] === f && b[i]![1] === d);
}

function showKey(key: KeyPairs): string {
  return `{ ${key.map(([f, d]) => `${f}: ${d}`).join(', ')} }`;
}

function sameOption(a: unknown, b: unknown): boolean {
  const norm = (x: unknown) => (x === undefined || x === null || x === false ? undefined : JSON.stringify(x));
  return norm(a) === norm(b);
}

function fields(collection: Collection, want: Wanted, err?: unknown): Record<string, unknown> {
  return {
    collection: collection.collectionName,
    index: want.name,
    ...(err !== undefined ? { first_error: err instanceof Error ? err.message : String(err) } : {}),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
