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
 * {@link sweepExpired} instead, every few minutes. And there the records expire **by world** (`byWorld`): settling a
 * world inserts one `retention_marks` entry (world id, expiry) instead of stamping each record, and the sweep deletes
 * the records of every world whose mark has expired by `world_id`, then the marks. Stamping cost FerretDB one update
 * per document — ~520 for a 3×10 world, 0.5–0.75 s (PostgreSQL backend) to 1.6–2.1 s (SQLite) on the world's
 * critical path (docs/critical-path.md) — for a stamp only our own sweep reads; a mark is one insert. The rule is the
 * same (a world's records go a retention period after it settled; a running world has no mark), and it also takes
 * records written after the settle. The sweep still applies `expires_at` stamps (worlds settled before this).
 * On real MongoDB the records are stamped and the TTL monitor deletes them; the sweeper is not needed and not started.
 * @module
 */
import type { Db, IndexDescription } from 'mongodb';
import {
  ApiRequestCollection,
  ProviderCallCollection,
  RetentionMarkCollection,
  SideEffectCollection,
  StatusLedgerCollection,
  TaskCollection,
} from './collections';
import { collectionOf, validateDoc, type CollectionDef } from './define-collection';
import { isDuplicateKeyError } from './errors';
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
  /** Expire records by world (one mark per settled world) instead of stamping each: for servers without TTL (FerretDB). */
  byWorld?: boolean;
}

/** Expired worlds handled per sweep round (the next round takes the rest). */
const WORLDS_PER_SWEEP = 200;

export interface Retention {
  /**
   * Stamps `expires_at` = now + retention on every record of the world that has none yet, or (`byWorld`) marks the
   * world once (idempotent: a retried or repeated call keeps the first stamp or mark). Call once the world is settled,
   * and again after any later write (by world, later records need no call).
   */
  markWorldSettled(worldId: string, now?: Date): Promise<void>;
  /** Deletes every record whose `expires_at` or whose world's mark has passed, per collection; returns the counts. */
  sweepExpired(now?: Date): Promise<Record<string, number>>;
}

export function createRetention(db: Db, opts: RetentionOptions): Retention {
  const keepMs = opts.afterSettledMs;
  const marks = collectionOf(db, RetentionMarkCollection);
  return {
    async markWorldSettled(worldId, now = new Date()) {
      if (!keepMs) return;
      const expiresAt = new Date(now.getTime() + keepMs);
      if (opts.byWorld) {
        try {
          await marks.insertOne(validateDoc(RetentionMarkCollection, { _id: worldId, expires_at: expiresAt, created_at: now }));
        } catch (e) {
          if (!isDuplicateKeyError(e)) throw e;
        }
        return;
      }
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
      if (!opts.byWorld) return deleted;
      const expired = (await marks.find({ expires_at: { $lt: now } }, { projection: { _id: 1 } }).limit(WORLDS_PER_SWEEP).toArray()).map((m) => m._id);
      if (expired.length === 0) return deleted;
      // Records first, marks last: a sweep stopped in between leaves the marks, and the next one finishes the job.
      for (const def of EXPIRING_COLLECTIONS) {
        const r = await db.collection(def.name).deleteMany({ world_id: { $in: expired } });
        deleted[def.name] = (deleted[def.name] ?? 0) + r.deletedCount;
      }
      await marks.deleteMany({ _id: { $in: expired } });
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
