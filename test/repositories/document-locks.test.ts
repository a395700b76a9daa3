/**
 * The connection strategy: a full pool on every server; on FerretDB, writes to one document serialised inside the
 * process (src/repositories/document-locks.ts) instead of the whole process on one connection.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { MongoClient } from 'mongodb';
import { collectionOf, conditionalWriteTuning, defineCollection, documentWritesSerialised } from '../../src/repositories';
import * as v from 'valibot';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { mongoUri, newWorldId, openTestDb, type TestDb } from './support';

const Counter = defineCollection({ name: 'lock_counters', schema: v.object({ _id: v.string(), n: v.number(), seen: v.array(v.number()) }) });

let t: TestDb;
beforeAll(async () => {
  t = await openTestDb('repo_locks');
}, STACK_TIMEOUT_MS);
afterAll(() => t?.dispose(), 60_000);

const N = 50;
const incrementConcurrently = (col: ReturnType<typeof collectionOf<typeof Counter>>, id: string) =>
  Promise.all(Array.from({ length: N }, (_, i) => col.updateOne({ _id: id }, { $inc: { n: 1 }, $push: { seen: i } })));

describe('document writes on the full pool', () => {
  test('FerretDB is detected and its document writes are serialised; real MongoDB is left alone', () => {
    expect(documentWritesSerialised(t.client)).toBe(t.ferretDb);
  });

  test(`${N} concurrent $inc of one document from a ${N}-connection pool count ${N}`, async () => {
    const col = collectionOf(t.db, Counter);
    const id = newWorldId('inc');
    await col.insertOne({ _id: id, n: 0, seen: [] });
    await incrementConcurrently(col, id);
    const doc = await col.findOne({ _id: id });
    expect(doc?.n).toBe(N);
    expect(doc?.seen).toHaveLength(N);
  }, 60_000);

  test('the premise: without the locks FerretDB loses concurrent updates of one document (MongoDB does not)', async () => {
    // A plain client on the same server, its own full pool, no document locks.
    const plain = await MongoClient.connect(await mongoUri(), { maxPoolSize: N, minPoolSize: N });
    try {
      const col = plain.db(t.db.databaseName).collection<{ _id: string; n: number; seen: number[] }>(Counter.name);
      const id = newWorldId('plain');
      await col.insertOne({ _id: id, n: 0, seen: [] });
      await Promise.all(Array.from({ length: N }, (_, i) => col.updateOne({ _id: id }, { $inc: { n: 1 }, $push: { seen: i } })));
      const n = (await col.findOne({ _id: id }))?.n;
      if (t.ferretDb) expect(n).toBeLessThan(N);
      else expect(n).toBe(N);
    } finally {
      await plain.close();
    }
  }, 60_000);

  test('writes to different documents and reads are not serialised: several connections are in use at once', async () => {
    let out = 0;
    let peak = 0;
    const checkedOut = () => (peak = Math.max(peak, ++out));
    const checkedIn = () => out--;
    t.client.on('connectionCheckedOut', checkedOut).on('connectionCheckedIn', checkedIn);
    try {
      const col = collectionOf(t.db, Counter);
      const ids = Array.from({ length: 20 }, (_, i) => newWorldId(`many${i}`));
      await col.insertMany(ids.map((id) => ({ _id: id, n: 0, seen: [] })));
      await Promise.all([...ids.map((id) => col.updateOne({ _id: id }, { $inc: { n: 1 } })), ...ids.map((id) => col.findOne({ _id: id }))]);
      expect((await col.find({ _id: { $in: ids } }).toArray()).every((d) => d.n === 1)).toBe(true);
    } finally {
      t.client.off('connectionCheckedOut', checkedOut).off('connectionCheckedIn', checkedIn);
    }
    // With the old one-connection pool on FerretDB this was 1.
    expect(peak).toBeGreaterThan(1);
  }, 60_000);

  test('a write without an _id waits for the writes in flight and they for it: nothing is lost', async () => {
    const col = collectionOf(t.db, Counter);
    const ids = Array.from({ length: 5 }, (_, i) => newWorldId(`wide${i}`));
    await col.insertMany(ids.map((id) => ({ _id: id, n: 0, seen: [] })));
    await Promise.all([
      ...ids.flatMap((id) => Array.from({ length: 10 }, () => col.updateOne({ _id: id }, { $inc: { n: 1 } }))),
      col.updateMany({ _id: { $in: ids } }, { $inc: { n: 100 } }),
      ...ids.flatMap((id) => Array.from({ length: 10 }, () => col.updateOne({ _id: id }, { $inc: { n: 1 } }))),
    ]);
    const docs = await col.find({ _id: { $in: ids } }).toArray();
    expect(docs.map((d) => d.n)).toEqual(ids.map(() => 120));
  }, 60_000);
});

describe('conditional writes on FerretDB: read by _id, test the condition here, write by _id', () => {
  // The split is taken for large collections only; here always, so every case goes through it.
  const tuning = { ...conditionalWriteTuning };
  beforeAll(() => {
    conditionalWriteTuning.scanThreshold = -1;
  });
  afterAll(() => Object.assign(conditionalWriteTuning, tuning));

  // The operators the repositories put beside `_id`, each answered as the server answers it (on MongoDB the
  // server evaluates them itself, so these pass there too).
  const Doc = defineCollection({ name: 'lock_conditions', schema: v.object({ _id: v.string() }) });
  const cases: [string, Record<string, unknown>, Record<string, unknown>, boolean][] = [
    ['$ne on an array that holds the key', { keys: ['a', 'b'] }, { keys: { $ne: 'a' } }, false],
    ['$ne on an array without the key', { keys: ['b'] }, { keys: { $ne: 'a' } }, true],
    ['$ne on a missing field', {}, { keys: { $ne: 'a' } }, true],
    ['array contains', { keys: ['a'] }, { keys: 'a' }, true],
    ['null matches a missing field', {}, { error: null }, true],
    ['null does not match a value', { error: 'x' }, { error: null }, false],
    ['null does not match an empty object', { result: {} }, { result: null }, false],
    ['$in', { status: 'failed' }, { status: { $in: ['pending', 'in_progress'] } }, false],
    ['$or of $exists and $lte (missing)', {}, { $or: [{ attempt: { $exists: false } }, { attempt: { $lte: 2 } }] }, true],
    ['$or of $exists and $lte (too high)', { attempt: 3 }, { $or: [{ attempt: { $exists: false } }, { attempt: { $lte: 2 } }] }, false],
    ['$lt at the limit', { made: 5 }, { made: { $lt: 5 } }, false],
    ['$lt on a missing field', {}, { made: { $lt: 5 } }, false],
    ['equality with a number', { revision: 3 }, { revision: 3 }, true],
  ];
  for (const [name, doc, condition, matches] of cases) {
    test(name, async () => {
      const col = collectionOf(t.db, Doc);
      const id = newWorldId('cond');
      await col.insertOne({ _id: id, ...doc });
      const updated = await col.updateOne({ _id: id, ...condition } as never, { $set: { touched: true } });
      expect(updated.matchedCount).toBe(matches ? 1 : 0);
      const found = await col.findOneAndUpdate({ _id: id, ...condition } as never, { $set: { again: true } }, { returnDocument: 'after' });
      expect(found !== null).toBe(matches);
      // The server's own answer for the same filter.
      expect((await t.db.collection(Doc.name).countDocuments({ _id: id, ...condition } as never)) === 1).toBe(matches);
    }, 60_000);
  }

  test('a compare-and-set raced by 30 writers lets exactly one through per revision', async () => {
    const col = collectionOf(t.db, Counter);
    const id = newWorldId('cas');
    await col.insertOne({ _id: id, n: 0, seen: [] });
    const results = await Promise.all(Array.from({ length: 30 }, (_, i) => col.updateOne({ _id: id, n: 0 }, { $inc: { n: 1 }, $push: { seen: i } })));
    expect(results.filter((r) => r.matchedCount === 1)).toHaveLength(1);
    expect((await col.findOne({ _id: id }))?.n).toBe(1);
  }, 60_000);
});
