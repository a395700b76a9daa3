/**
 * Retention of per-world records. The records that serve only exactness and retries — `status_ledger` entries,
 * `side_effects`, `provider_calls`, `tasks` — and the audit rows of `api_requests_history` expire a configured time
 * after their world settles: `finishWorld` stamps `expires_at` on each of them (`markWorldSettled`), and MongoDB's
 * TTL monitor deletes a document once its `expires_at` has passed (a TTL index with `expireAfterSeconds: 0` on
 * `expires_at`; the monitor runs every 60 s). A running world's records carry no `expires_at`, so they never expire.
 * `world_generation_status` (world-service reads it) and `world_parameters` are kept.
 *
 * FerretDB 1.24 has no TTL deletion: its createIndexes refuses the option (`Index option "expireAfterSeconds" is not
 * implemented yet`, internal/handler/msg_createindexes.go). There the TTL index is not created and the worker runs
 * {@link sweepExpired} instead — one `deleteMany({ expires_at: { $lt: now } })` per collection every few minutes, the
 * same rule the TTL monitor applies. On real MongoDB the sweeper is not needed and not started.
 * @module
 */
import type { Db, IndexDescription } from 'mongodb';
import {
  ApiRequestCollection,
  ProviderCallCollection,
  SideEffectCollection,
  StatusLedgerCollection,
  TaskCollection,
} from './collections';
import type { CollectionDef } from './define-collection';
import { ensureIndexes, type EnsureIndexesOptions } from './ensure-indexes';

/** The collections whose per-world documents expire (each has a `world_id` field). */
export const EXPIRING_COLLECTIONS = [StatusLedgerCollection, SideEffectCollection, ProviderCallCollection, TaskCollection, ApiRequestCollection] as const;

/** MongoDB deletes a document once `expires_at` is in the past (the date itself is the expiry: 0 s after it). */
export const EXPIRES_AT_TTL_INDEX: IndexDescription = { key: { expires_at: 1 }, name: 'expires_at_ttl', expireAfterSeconds: 0 };

/** The TTL index declarations, one per expiring collection (kept apart from ALL_COLLECTIONS: FerretDB refuses them). */
export const RETENTION_INDEXES: readonly CollectionDef[] = EXPIRING_COLLECTIONS.map((def) => ({ ...def, indexes: [EXPIRES_AT_TTL_INDEX] }));

/**
 * `markWorldSettled` finds a world's records by `world_id`; every expiring collection but `provider_calls` has that
 * index already (collections.ts), so it is added here rather than letting each settle scan that collection.
 */
export const WORLD_ID_INDEXES: readonly CollectionDef[] = [{ ...ProviderCallCollection, indexes: [{ key: { world_id: 1 }, name: 'world_id_1' }] }];

/**
 * Creates the `world_id` index the stamping needs (both servers) and the TTL indexes on MongoDB; on FerretDB, which
 * cannot create TTL indexes, those are skipped (the sweeper deletes instead).
 */
export async function ensureRetentionIndexes(db: Db, opts: { ferretDb: boolean } & EnsureIndexesOptions): Promise<void> {
  await ensureIndexes(db, WORLD_ID_INDEXES, opts);
  if (opts.ferretDb) return;
  await ensureIndexes(db, RETENTION_INDEXES, opts);
}

export interface RetentionOptions {
  /** How long a settled world's records are kept. 0 or undefined: never expire. */
  afterSettledMs: number | undefined;
}

export interface Retention {
  /**
   * Stamps `expires_at` = now + retention on every record of the world that has none yet (idempotent: a retried or
   * repeated call keeps the first stamp). Call once the world is settled, and again after any later write.
   */
  markWorldSettled(worldId: string, now?: Date): Promise<void>;
  /** Deletes every record whose `expires_at` has passed, per collection; returns the counts. */
  sweepExpired(now?: Date): Promise<Record<string, number>>;
}

export function createRetention(db: Db, opts: RetentionOptions): Retention {
  const keepMs = opts.afterSettledMs;
  return {
    async markWorldSettled(worldId, now = new Date()) {
      if (!keepMs) return;
      const expiresAt = new Date(now.getTime() + keepMs);
      // One collection at a time: on FerretDB the pool is a single connection anyway.
      for (const def of EXPIRING_COLLECTIONS) {
        await db.collection(def.name).updateMany({ world_id: worldId, expires_at: { $exists: false } }, { $set: { expires_at: expiresAt } });
      }
    },
    async sweepExpired(now = new Date()) {
      const deleted: Record<string, number> = {};
      for (const def of EXPIRING_COLLECTIONS) {
        const r = await db.collection(def.name).deleteMany({ expires_at: { $lt: now } });
        deleted[def.name] = r.deletedCount;
      }
      return deleted;
    },
  };
}

export interface SweeperOptions {
  retention: Retention;
  intervalMs: number;
  log: (level: 'info' | 'warn', message: string, fields: Record<string, unknown>) => void;
}

/**
 * Runs {@link Retention.sweepExpired} every `intervalMs` (never two at once; a failure is logged and the next round
 * tries again). The timer does not keep the process alive. `stop()` waits for a running sweep.
 */
export function startRetentionSweeper(opts: SweeperOptions): { stop(): Promise<void> } {
  let running: Promise<void> | undefined;
  let stopped = false;
  const round = () => {
    if (running || stopped) return;
    running = opts.retention
      .sweepExpired()
      .then((deleted) => {
        const total = Object.values(deleted).reduce((a, b) => a + b, 0);
        if (total > 0) opts.log('info', 'expired records deleted', { deleted });
      })
      .catch((err: unknown) => opts.log('warn', 'retention sweep failed; trying again next round', { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(round, opts.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
