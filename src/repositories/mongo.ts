/**
 * The process's single pooled MongoDB client.
 * @module
 */
import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { serialiseDocumentWrites } from './document-locks';
import { DEFAULT_WATCHDOG, superviseMongoClient, type MongoWatchdogOptions, type WatchdogLog } from './mongo-watchdog';

export { DEFAULT_WATCHDOG, type MongoWatchdogOptions, type WatchdogLog } from './mongo-watchdog';

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
   * True when the server is FerretDB (development). FerretDB 1.24 does not make a single-document update atomic
   * across connections (measured with both its SQLite and PostgreSQL backends: 50 concurrent `$inc` on one document
   * from a 50-connection pool left the counter at 1–11; FerretDB#3040), so against FerretDB writes to one document
   * are serialised inside the process (document-locks.ts) while everything else uses the full pool.
   */
  ferretDb: boolean;
  /**
   * One `ping` through this client's own pool, bounded by `timeoutMs`: for readiness probes. Rejects with the
   * driver's error, or with a timeout error when no answer arrived in time.
   */
  ping(timeoutMs: number): Promise<void>;
  /** How many times the watchdog reconnected the client (see mongo-watchdog.ts); 0 without a watchdog. */
  readonly reconnects: number;
  /** Closes the client (and stops its watchdog); safe to call more than once. */
  close(): Promise<void>;
}

export interface ConnectMongoOptions {
  /**
   * Supervise the client and reconnect it when it is wedged (see mongo-watchdog.ts): the worker passes its log here.
   * Without it, no watchdog runs (tests and scripts that own the client's lifetime).
   */
  watchdog?: Partial<Omit<MongoWatchdogOptions, 'log'>> & { log: WatchdogLog };
  /** Emit the driver's `commandStarted`/… events (tests and diagnostics count round trips with them). */
  monitorCommands?: boolean;
}

/** True when `client` talks to FerretDB (its `buildInfo` carries `ferretdbVersion`). */
export async function isFerretDb(client: MongoClient): Promise<boolean> {
  const info = await client.db('admin').command({ buildInfo: 1 });
  return 'ferretdbVersion' in info;
}

/**
 * Driver settings that make the client ride through a server restart by itself, and never let one lost connection
 * hold the process hostage. Every wait is bounded: with the driver's defaults (no socket timeout, no checkout timeout)
 * one operation whose answer never comes — sent into a connection the server abandoned while going down, or to a
 * server that hangs — keeps its connection checked out forever, and everything behind it waits forever (on a pool of
 * one connection, every operation; on FerretDB, every later write to the same document, see document-locks.ts), and each activity attempt times out at Temporal and is
 * retried into the same queue: the world stalls although the server is back. Bounded waits turn that into errors
 * the activities retry, and the failed connection is discarded so the pool reconnects.
 */
export const MONGO_DRIVER_TIMEOUTS = {
  /** A server that cannot be reached fails an operation within 5 s (the activity retries) instead of hanging. */
  serverSelectionTimeoutMS: 5_000,
  connectTimeoutMS: 10_000,
  /**
   * No operation here legitimately waits 30 s for an answer (the progress activities' start-to-close timeout is
   * 30 s, so a longer one is a zombie anyway); after that the connection is closed and replaced.
   */
  socketTimeoutMS: 30_000,
  /** A checkout that waits longer than this for the pool's connection(s) fails instead of queueing forever. */
  waitQueueTimeoutMS: 20_000,
  /** Notice a restarted server within ~2 s (default 10 s), so the pool is marked ready again soon after. */
  heartbeatFrequencyMS: 2_000,
} as const;

function clientOptions(options: MongoOptions, maxPoolSize: number): MongoClientOptions {
  return {
    appName: 'generia-ai-worker',
    maxPoolSize,
    minPoolSize: Math.min(options.minPoolSize, maxPoolSize),
    maxIdleTimeMS: 30_000,
    ...MONGO_DRIVER_TIMEOUTS,
  };
}

/**
 * Connects one pooled client (call once per process, in the composition root). Fails within ~5 s when no server is
 * reachable instead of hanging (serverSelectionTimeoutMS); once connected, the client reconnects by itself after the
 * server comes back (see {@link MONGO_DRIVER_TIMEOUTS}) — and when it does not (the driver can wedge after a restart,
 * see mongo-watchdog.ts), the watchdog given in `connectOptions` closes and reconnects it inside the same MongoClient,
 * so `db` and every collection taken from it stay valid.
 */
export async function connectMongo(options: MongoOptions, connectOptions: ConnectMongoOptions = {}): Promise<MongoHandle> {
  const settings = { ...clientOptions(options, options.maxPoolSize), ...(connectOptions.monitorCommands ? { monitorCommands: true } : {}) };
  const client = new MongoClient(options.uri, settings);
  await client.connect();
  const ferretDb = await isFerretDb(client).catch(() => false);
  // Before any collection is taken from the client: repositories see the serialised view from the start.
  if (ferretDb) serialiseDocumentWrites(client);
  let closed: Promise<void> | undefined;
  const db = client.db(options.database);
  const ping = (timeoutMs: number) => withTimeout(db.command({ ping: 1 }).then(() => undefined), timeoutMs, `no answer to ping within ${timeoutMs} ms`);
  const watchdog = connectOptions.watchdog
    ? superviseMongoClient(client, options.uri, settings, ping, { ...DEFAULT_WATCHDOG, ...connectOptions.watchdog })
    : undefined;
  return {
    client,
    db,
    ferretDb,
    ping,
    get reconnects() {
      return watchdog?.reconnects ?? 0;
    },
    close: () => {
      watchdog?.stop();
      return (closed ??= client.close());
    },
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
