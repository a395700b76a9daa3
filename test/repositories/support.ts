/**
 * Shared set-up for the repository conformance suite: a real MongoDB-compatible server (FerretDB in development,
 * MongoDB in CI) and one uniquely named database per test file, dropped afterwards.
 */
import { connectMongo } from '../../src/repositories/mongo';
import type { MongoClient, Db } from 'mongodb';

/** `MONGODB_URI` when set, else the shared test stack's server. */
export async function mongoUri(): Promise<string> {
  if (process.env.MONGODB_URI) return process.env.MONGODB_URI;
  // Lazy: only start the shared local stack when no server was given.
  const { getStack } = await import('../support/stack');
  return (await getStack()).mongoUri;
}

export interface TestDb {
  client: MongoClient;
  db: Db;
  /** See `MongoHandle.ferretDb`: writes to one document are serialised in the process, everything else is parallel. */
  ferretDb: boolean;
  /** Drops the database and closes the client. */
  dispose(): Promise<void>;
}

/** Opens a client on a database unique to this run (`<prefix>_<random>`). */
export async function openTestDb(prefix: string, opts: { monitorCommands?: boolean } = {}): Promise<TestDb> {
  const database = `${prefix}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  // Through connectMongo, as the worker does, so FerretDB gets the same per-document write serialisation.
  const handle = await connectMongo({ uri: await mongoUri(), database, maxPoolSize: 50, minPoolSize: 0 }, opts);
  return {
    client: handle.client,
    db: handle.db,
    ferretDb: handle.ferretDb,
    async dispose() {
      await handle.db.dropDatabase().catch(() => undefined);
      await handle.close();
    },
  };
}

let counter = 0;
/** A fresh world id per test. */
export const newWorldId = (label = 'world') => `${label}-${Date.now().toString(36)}-${++counter}`;
