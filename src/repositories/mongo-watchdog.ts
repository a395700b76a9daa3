/**
 * Recovery for a MongoDB client that stopped reconnecting by itself.
 *
 * Seen with driver 7.9 against FerretDB 1.24 after a server restart, in two shapes:
 * - drill `mongo-restart` (worker under Node 24): the topology keeps the server `Unknown` with the error of the pool
 *   connection the restart closed ("connection 3 … closed"); every operation fails server selection for 10+ minutes
 *   and no heartbeat result ever replaces that error (the server monitor no longer checks), while a new client pings
 *   the same server in 49 ms. The same state, caught in test/repositories/reconnect.test.ts under Bun: the monitor's check had been "in
 *   progress" for 12 s (longer than connectTimeoutMS) on a socket already destroyed, so `requestCheck()` was ignored;
 * - test/repositories/reconnect.test.ts (Bun): the operation holding the pool's one connection never settled although
 *   that connection was closed (`closed: true`, socket destroyed, not reading — the close only rejects a pending
 *   read, and the socket timeout's cleanup is a no-op on a closed connection), so with `maxPoolSize: 1` every later
 *   checkout queued behind it although the server was back (server `Standalone`, pool `ready`, 1 of 1 checked out).
 * Both are driver defects no option avoids (driver timeouts bound neither; `serverMonitoringMode` is moot: FerretDB
 * sends no topologyVersion, so the monitor polls anyway).
 * Nothing inside the client would ever change either state, so this supervisor watches from outside: pings through
 * the client that keep failing for `stuckAfterMs`, while a fresh probe client reaches the server and one more ping
 * through the client still fails, mean the client is wedged; it is closed and connected again.
 * `MongoClient.connect()` after `close()` builds a new topology (monitor, pool) inside the same client object, so
 * every `Db` and `Collection` the repositories hold keeps working: no handle has to be swapped. `close()` also ends
 * the operations still holding connections (they fail and their activities retry); it can itself wait on the
 * operation that never settles (seen once: bounded here, the next tick retried and the client came back).
 *
 * On MongoDB with a full pool the same rule holds: it only acts when the client has failed every ping for
 * `stuckAfterMs` although a new connection answers at once.
 * @module
 */
import { MongoClient, type MongoClientOptions } from 'mongodb';

export type WatchdogLog = (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;

export interface MongoWatchdogOptions {
  /** How often the client is pinged. */
  intervalMs: number;
  /** How long every ping through the client must keep failing before the fresh probe is asked. */
  stuckAfterMs: number;
  /**
   * Bound of one ping through the client: above its server selection timeout (5 s), so an unreachable server shows
   * as the driver's selection error, while a ping stuck behind a connection that never comes back counts as failed.
   */
  pingTimeoutMs: number;
  /** Bound of the fresh probe's server selection / connect. */
  probeTimeoutMs: number;
  log: WatchdogLog;
}

export const DEFAULT_WATCHDOG: Omit<MongoWatchdogOptions, 'log'> = {
  intervalMs: 5_000,
  // Longer than a restart the driver rides through by itself (heartbeat 2 s, server selection 5 s) with room to spare.
  stuckAfterMs: 30_000,
  pingTimeoutMs: 7_000,
  probeTimeoutMs: 5_000,
};

export interface MongoWatchdog {
  /** How many times the client was reconnected. */
  readonly reconnects: number;
  stop(): void;
}

/**
 * Supervises `client` (connected to `uri` with `clientOptions`). `ping` must go through the client's own pool.
 */
export function superviseMongoClient(
  client: MongoClient,
  uri: string,
  clientOptions: MongoClientOptions,
  ping: (timeoutMs: number) => Promise<void>,
  opts: MongoWatchdogOptions,
): MongoWatchdog {
  let stopped = false;
  let reconnects = 0;
  /** Since when every ping through the client failed (undefined: the last one succeeded). */
  let failingSince: number | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const tick = async () => {
    const startedAt = Date.now();
    try {
      await ping(opts.pingTimeoutMs);
      failingSince = undefined;
      return;
    } catch (err) {
      // From the start of the first failing ping: a ping that hangs until its bound counts from when it was sent.
      const since = (failingSince ??= startedAt);
      if (Date.now() - since < opts.stuckAfterMs) return;
      const probe = await probeFresh(uri, clientOptions, opts.probeTimeoutMs);
      if (!probe.ok) return; // the server really is unreachable: the client is right, nothing to recover
      // The server may have come back a moment ago and the client's monitor not have noticed yet (it checks every
      // heartbeat, well inside one server selection timeout): one more ping through the client decides.
      let confirmError: unknown;
      try {
        await ping(opts.pingTimeoutMs);
        failingSince = undefined;
        return;
      } catch (again) {
        confirmError = again; // still failing through the client while a new connection works: wedged
      }
      if (stopped) return;
      const failingForMs = Date.now() - since;
      opts.log('warn', 'mongodb client wedged: reconnecting it', {
        failing_for_ms: failingForMs,
        first_error: messageOf(err),
        last_error: messageOf(confirmError),
        fresh_probe_ms: probe.ms,
      });
      try {
        // Bounded: a close that hangs on the wedged topology must not stop the supervision (the next tick retries).
        await bounded(client.close(), opts.probeTimeoutMs * 2, 'close');
        if (stopped) return; // the handle was closed meanwhile: leave the client closed
        await client.connect();
        reconnects++;
        failingSince = undefined;
        opts.log('info', 'mongodb client reconnected', { reconnects });
      } catch (reconnectErr) {
        // Next tick retries: the client stays closed (operations fail fast and are retried by their activities).
        opts.log('warn', 'mongodb client reconnect failed', { error: messageOf(reconnectErr) });
      }
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void tick().finally(schedule);
    }, opts.intervalMs);
    timer.unref?.();
  };
  schedule();

  return {
    get reconnects() {
      return reconnects;
    },
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}

/** One ping through a new single-connection client, closed afterwards. */
async function probeFresh(uri: string, clientOptions: MongoClientOptions, timeoutMs: number): Promise<{ ok: boolean; ms: number }> {
  const started = Date.now();
  const probe = new MongoClient(uri, {
    ...clientOptions,
    appName: 'generia-ai-worker-probe',
    maxPoolSize: 1,
    minPoolSize: 0,
    serverSelectionTimeoutMS: timeoutMs,
    connectTimeoutMS: timeoutMs,
    socketTimeoutMS: timeoutMs,
  });
  try {
    await probe.db('admin').command({ ping: 1 });
    return { ok: true, ms: Date.now() - started };
  } catch {
    return { ok: false, ms: Date.now() - started };
  } finally {
    await bounded(probe.close(), timeoutMs, 'probe close').catch(() => {});
  }
}

function bounded<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.replace(/mongodb(\+srv)?:\/\/\S+/gi, 'mongodb://…').slice(0, 300);
}
