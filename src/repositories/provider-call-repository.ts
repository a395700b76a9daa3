/**
 * `provider_calls`: the durable record of paid provider requests (see {@link ProviderCallCollection} for the entries).
 * Every write is an insert whose `_id` names the entry, so a repeated write is a no-op and the first stored answer
 * wins; the only read is {@link ProviderCallRepository.load}, used when a position was already started.
 * @module
 */
import type { Db } from 'mongodb';
import { collectionOf, validateDoc } from './define-collection';
import { ProviderCallCollection, type ProviderCall, type ProviderCallEntry } from './collections';
import { isDuplicateKeyError, NotFoundError } from './errors';

export interface ProviderCallRef {
  worldId: string;
  taskId: string;
  position: string;
  provider: 'llm' | 'images';
}

/** Everything recorded for one position, as {@link ProviderCallRepository.load} returns it. */
export interface PositionState {
  /**
   * Number of sends opened (0 … reservations-1): one more than the highest send any entry names, since the
   * reservation entry is written concurrently with the limit reservation and may be missing after a crash.
   */
  reservations: number;
  /** Sends whose request left (marked sent and not refused). */
  sent: ReadonlySet<number>;
  /** Paid answers by send. */
  results: ReadonlyMap<number, Record<string, unknown>>;
  /** Runware task UUIDs in the order they were recorded (oldest first). */
  taskUuids: readonly { send: number; uuid: string }[];
}

/** `token` names one try of a send: a task UUID, or the token pairing a `sent` entry with its `refused` entry. */
const idOf = (position: string, send: number, entry: ProviderCallEntry, token?: string): string => {
  const base = `${position}|s${send}`;
  switch (entry) {
    case 'reservation':
      return base;
    case 'result':
      return `${base}|result`;
    case 'sent':
      return `${base}|sent|${token}`;
    case 'refused':
      return `${base}|refused|${token}`;
    case 'task_uuid':
      return `${base}|uuid|${token}`;
  }
};

/** Folds a position's entries into what a retry needs to know. */
export function positionStateOf(docs: readonly ProviderCall[]): PositionState {
  let reservations = 0;
  const sentTries: { send: number; token: string }[] = [];
  const refused = new Set<string>();
  const results = new Map<number, Record<string, unknown>>();
  const taskUuids: { send: number; uuid: string; at: number }[] = [];
  for (const d of docs) {
    reservations = Math.max(reservations, d.send + 1);
    if (d.entry === 'sent') sentTries.push({ send: d.send, token: d.task_uuid ?? '' });
    else if (d.entry === 'refused') refused.add(`${d.send}|${d.task_uuid ?? ''}`);
    else if (d.entry === 'result' && d.result) results.set(d.send, d.result);
    else if (d.entry === 'task_uuid' && d.task_uuid) taskUuids.push({ send: d.send, uuid: d.task_uuid, at: d.created_at.getTime() });
  }
  taskUuids.sort((a, b) => a.at - b.at || a.send - b.send);
  // A send left if any of its tries left: a try marked sent and not given back as refused.
  const sent = new Set(sentTries.filter((t) => !refused.has(`${t.send}|${t.token}`)).map((t) => t.send));
  return { reservations, sent, results, taskUuids: taskUuids.map(({ send, uuid }) => ({ send, uuid })) };
}

/** Repository for `provider_calls`. */
export function createProviderCallRepository(db: Db) {
  const col = collectionOf(db, ProviderCallCollection);

  /** Inserts one entry; false if it was already there. */
  async function insert(
    ref: ProviderCallRef,
    send: number,
    entry: ProviderCallEntry,
    extra: { task_uuid?: string; result?: Record<string, unknown> } = {},
  ): Promise<boolean> {
    const doc = validateDoc(ProviderCallCollection, {
      _id: idOf(ref.position, send, entry, extra.task_uuid),
      world_id: ref.worldId,
      task_id: ref.taskId,
      position: ref.position,
      provider: ref.provider,
      entry,
      send,
      task_uuid: extra.task_uuid ?? null,
      result: extra.result ?? null,
      created_at: new Date(),
    });
    try {
      await col.insertOne(doc);
      return true;
    } catch (e) {
      if (!isDuplicateKeyError(e)) throw e;
      return false;
    }
  }

  return {
    /** Records reservation `send` of a position; false if it already existed (the position was started before). */
    openReservation: (ref: ProviderCallRef, send: number) => insert(ref, send, 'reservation'),

    /** Records that one try (`token`) of send `send` left; idempotent. */
    async markSent(ref: ProviderCallRef, send: number, token: string): Promise<void> {
      await insert(ref, send, 'sent', { task_uuid: token });
    },

    /** Records that try `token` of send `send` provably never arrived (its connection was refused); idempotent. */
    async markRefused(ref: ProviderCallRef, send: number, token: string): Promise<void> {
      await insert(ref, send, 'refused', { task_uuid: token });
    },

    /** Records a Runware task UUID before the request that carries it. */
    async recordTaskUuid(ref: ProviderCallRef, send: number, uuid: string): Promise<void> {
      await insert(ref, send, 'task_uuid', { task_uuid: uuid });
    },

    /** Stores the paid answer of send `send` unless one is stored already; returns the stored (first) answer. */
    async storeResult<R extends Record<string, unknown>>(ref: ProviderCallRef, send: number, result: R): Promise<R> {
      if (await insert(ref, send, 'result', { result })) return result;
      const first = await col.findOne({ _id: idOf(ref.position, send, 'result') }, { projection: { result: 1 } });
      if (!first?.result) throw new NotFoundError(ProviderCallCollection.name, idOf(ref.position, send, 'result'), 'provider call result');
      return first.result as R;
    },

    /** Everything recorded for a position. */
    async load(position: string): Promise<PositionState> {
      return positionStateOf(await col.find({ position }).toArray());
    },

    /** Everything recorded for a world, by position (one query; for the world's cost sweep). */
    async loadWorld(worldId: string): Promise<Map<string, PositionState & { ref: ProviderCallRef }>> {
      const byPosition = new Map<string, ProviderCall[]>();
      for (const d of await col.find({ world_id: worldId }).toArray()) {
        const list = byPosition.get(d.position) ?? [];
        list.push(d);
        byPosition.set(d.position, list);
      }
      const out = new Map<string, PositionState & { ref: ProviderCallRef }>();
      for (const [position, docs] of byPosition) {
        const first = docs[0]!;
        out.set(position, { ...positionStateOf(docs), ref: { worldId, taskId: first.task_id, position, provider: first.provider } });
      }
      return out;
    },

    /** Every entry of a world, oldest first (tests and diagnostics). */
    listByWorld(worldId: string) {
      return col.find({ world_id: worldId }).sort({ created_at: 1, _id: 1 }).toArray();
    },
  };
}

export type ProviderCallRepository = ReturnType<typeof createProviderCallRepository>;
