import { MongoClient } from 'mongodb';
import { connectMongo, ensureAllIndexes, createGenerationStatusRepository } from './src/repositories';
const h = await connectMongo({ uri: 'mongodb://127.0.0.1:27117/', database: 'probe_perf_' + Date.now(), maxPoolSize: 50, minPoolSize: 0 });
await ensureAllIndexes(h.db);
const repo = createGenerationStatusRepository(h.db);
const id = 'w1';
await repo.initialize({ worldId: id, charactersCount: 1, postsCount: 1, userPrompt: 'x', apiCallLimitsLlm: 10000, apiCallLimitsImages: 1, tasksPredicted: 1 });
const time = async (label: string, n: number, f: (i: number) => Promise<unknown>) => {
  const t0 = performance.now(); for (let i = 0; i < n; i++) await f(i); console.log(label, ((performance.now() - t0) / n).toFixed(2), 'ms/op');
};
const L = h.db.collection<any>('status_ledger'); const S = h.db.collection<any>('world_generation_status');
await time('insert ledger', 100, (i) => L.insertOne({ _id: 'x' + i, world_id: id, key: 'k', increments: {}, applied: false, in_flight: 1, created_at: new Date() }));
await time('updateOne status $inc/$push', 100, (i) => S.updateOne({ _id: id, pending_keys: { $ne: 'p' + i } }, { $inc: { users_created: 1 }, $push: { pending_keys: 'p' + i }, $set: { updated_at: new Date() } }));
await time('findOneAndUpdate ledger', 100, (i) => L.findOneAndUpdate({ _id: 'x' + i }, { $set: { applied: true }, $inc: { in_flight: -1 } }, { returnDocument: 'after' }));
await time('updateOne ledger', 100, (i) => L.updateOne({ _id: 'x' + i }, { $set: { applied: true }, $inc: { in_flight: 0 } }));
await time('$pull status', 100, (i) => S.updateOne({ _id: id }, { $pull: { pending_keys: 'p' + i } }));
await time('applyOnce', 100, (i) => repo.applyOnce(id, 'a' + i, { users_created: 1 }));
await h.db.dropDatabase(); await h.close();
