/**
 * The process's single pooled MongoDB client.
 * @module
 */
import { MongoClient, type Db } from 'mongodb';

export interface MongoOptions {
  uri: string;
  database: string;
  /** See `Config.mongo.maxPoolSize` for the default's rationale. */
  maxPoolSize: number;
  minPoolSize: number;
}

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  /**
   * True when the server is FerretDB (development). FerretDB 1.24 with the SQLite backend does not make a
   * single-document update atomic across connections (measured: 50 concurrent `$inc` on one document from a
   * 50-connection pool left the counter at 5; FerretDB#3040), so against FerretDB the pool is capped at one
   * connection, which serialises operations and restores MongoDB's per-document atomicity.
   */
  ferretDb: boolean;
  /** Closes the client; safe to call more than once. */
  close(): Promise<void>;
}

/** True when `client` talks to FerretDB (its `buildInfo` carries `ferretdbVersion`). */
export async function isFerretDb(client: MongoClient): Promise<boolean> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

function newClient(options: MongoOptions, maxPoolSize: number): MongoClient {
  return new MongoClient(options.uri, {
    appName: 'generia-ai-worker',
    maxPoolSize,
    minPoolSize: Math.min(options.minPoolSize, maxPoolSize),
    maxIdleTimeMS: 30_000,
    serverSelectionTimeoutMS: 5_000,
    connectTimeoutMS: 10_000,
  });
}

/**
 * Connects one pooled client (call once per process, in the composition root). Fails within ~5 s when no server is
 * reachable instead of hanging (serverSelectionTimeoutMS).
 */
export async function connectMongo(options: MongoOptions): Promise<MongoHandle> {
  let client = newClient(options, options.maxPoolSize);
  await client.connect();
  const ferretDb = await isFerretDb(client).catch(() => false);
  if (ferretDb && options.maxPoolSize > 1) {
    await client.close();
    client = newClient(options, 1);
    await client.connect();
  }
  let closed: Promise<void> | undefined;
  return {
    client,
    db: client.db(options.database),
    ferretDb,
    close: () => (closed ??= client.close()),
  };
}
