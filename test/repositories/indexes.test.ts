/**
 * Start-up index ensuring against the real local server (FerretDB 1.24 in development, MongoDB when MONGODB_URI
 * names one): a database that already has every index, some of them, or is being indexed by other processes at the
 * same moment must never fail a start; a real definition conflict must fail it, naming the collection and index.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import type { Db } from 'mongodb';
import { ALL_COLLECTIONS, connectMongo, ensureIndexes, IndexConflictError, TaskCollection, type MongoHandle } from '../../src/repositories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { mongoUri } from './support';

let uri: string;
const handles: MongoHandle[] = [];

async function freshDb(label: string): Promise<Db> {
  const handle = await connectMongo({ uri, database: `${label}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`, maxPoolSize: 10, minPoolSize: 0 });
  handles.push(handle);
  return handle.db;
}

/** Another process: its own client (own connection) on the same database. */
async function otherClient(db: Db): Promise<Db> {
  const handle = await connectMongo({ uri, database: db.databaseName, maxPoolSize: 10, minPoolSize: 0 });
  handles.push(handle);
  return handle.db;
}

async function indexNames(db: Db, collection: string): Promise<string[]> {
  return (await db.collection(collection).listIndexes().toArray()).map((i) => String(i.name)).sort();
}

/** Every declared index, as `collection.name`, plus what the server lists for those collections. */
async function declaredVsListed(db: Db): Promise<{ declared: string[]; listed: string[] }> {
  const declared: string[] = [];
  const listed: string[] = [];
  for (const def of ALL_COLLECTIONS) {
    if (def.indexes.length === 0) continue;
    for (const i of def.indexes) declared.push(`${def.name}.${i.name}`);
    for (const name of await indexNames(db, def.name)) if (name !== '_id_') listed.push(`${def.name}.${name}`);
  }
  return { declared: declared.sort(), listed: listed.sort() };
}

beforeAll(async () => {
  uri = await mongoUri();
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  for (const h of handles) {
    await h.db.dropDatabase().catch(() => undefined);
    await h.close();
  }
});

describe('ensureIndexes', () => {
  test('creates every declared index on an empty database', async () => {
    const db = await freshDb('idx_fresh');
    await ensureIndexes(db, ALL_COLLECTIONS);
    const { declared, listed } = await declaredVsListed(db);
    expect(listed).toEqual(declared);
  });

  // On the code before this change the second run failed on FerretDB: one createIndexes call listing indexes that
  // already exist panics the server's handler and drops the connection.
  test('a second start against a database that has every index succeeds and changes nothing', async () => {
    const db = await freshDb('idx_again');
    await ensureIndexes(db, ALL_COLLECTIONS);
    await ensureIndexes(db, ALL_COLLECTIONS);
    await ensureIndexes(await otherClient(db), ALL_COLLECTIONS);
    const { declared, listed } = await declaredVsListed(db);
    expect(listed).toEqual(declared);
  });

  // Before: with the first two of three indexes present, FerretDB created none of what was missing (or panicked).
  test('a database that has only some of the indexes gets exactly the missing ones', async () => {
    const db = await freshDb('idx_partial');
    await ensureIndexes(db, ALL_COLLECTIONS);
    const last = TaskCollection.indexes.at(-1)!.name!;
    await db.collection(TaskCollection.name).dropIndex(last);
    expect(await indexNames(db, TaskCollection.name)).not.toContain(last);
    await ensureIndexes(db, ALL_COLLECTIONS);
    const { declared, listed } = await declaredVsListed(db);
    expect(listed).toEqual(declared);
  });

  test('six processes ensuring at the same moment on an empty database all succeed', async () => {
    const db = await freshDb('idx_race');
    const clients = [db, ...(await Promise.all([1, 2, 3, 4, 5].map(() => otherClient(db))))];
    const results = await Promise.allSettled(clients.map((c) => ensureIndexes(c, ALL_COLLECTIONS)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const { declared, listed } = await declaredVsListed(db);
    expect(listed).toEqual(declared);
  });

  test('an index that exists with other options is a clear error naming the collection and index', async () => {
    const db = await freshDb('idx_conflict');
    const declared = TaskCollection.indexes[0]!;
    await db.collection(TaskCollection.name).createIndex(declared.key, { name: declared.name!, unique: true });
    const error = await ensureIndexes(db, ALL_COLLECTIONS).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(IndexConflictError);
    expect((error as IndexConflictError).collection).toBe('tasks');
    expect((error as IndexConflictError).index).toBe(declared.name!);
    expect((error as Error).message).toMatch(/collection "tasks", index "world_id_1": exists with \{"unique":true\} but is declared with \{"unique":null\}/);
  });

  test('an index name that exists with another key, or a key indexed under another name, is a clear error', async () => {
    const db = await freshDb('idx_key_conflict');
    await db.collection('tasks').createIndex({ something_else: 1 }, { name: 'world_id_1' });
    await expect(ensureIndexes(db, ALL_COLLECTIONS)).rejects.toThrow(
      'collection "tasks", index "world_id_1": exists with key { something_else: 1 } but is declared with key { world_id: 1 }',
    );

    const db2 = await freshDb('idx_name_conflict');
    await db2.collection('tasks').createIndex({ world_id: 1 }, { name: 'by_world' });
    await expect(ensureIndexes(db2, ALL_COLLECTIONS)).rejects.toThrow('collection "tasks", index "world_id_1": its key { world_id: 1 } is already indexed as "by_world"');
  });
});
