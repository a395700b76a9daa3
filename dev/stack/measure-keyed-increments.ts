/**
 * The worker's CPU per database command, in isolation: `k` keyed increments of one world applied one by one
 * (`applyOnce`, 4 commands each) against one `applyManyOnce` of the same `k` keys (4 commands in all), and the same
 * for plain driver commands, in rounds that alternate the variants (the machine is shared: compare within a run).
 * A diagnostic for docs/performance-db-runtime.md ("Worker CPU per world"). It runs under Node, as the worker does:
 *
 *   bun run stack up                                   # or any MongoDB-compatible server; prints MONGODB_URI
 *   bun build dev/stack/measure-keyed-increments.ts --target node --external mongodb --outfile .build/mki.mjs
 *   node_modules/.bin/node .build/mki.mjs "$MONGODB_URI" [repetitions=60]
 */
import { connectMongo } from '../../src/repositories/mongo';
import { createGenerationStatusRepository } from '../../src/repositories/generation-status-repository';
import { ensureAllIndexes } from '../../src/repositories/collections';

const uri = process.argv[2] ?? process.env.MONGODB_URI;
if (!uri) throw new Error('usage: node mki.mjs <mongodb-uri> [repetitions]');
const reps = Number(process.argv[3] ?? 60);
const handle = await connectMongo({ uri, database: `mki_${Date.now()}`, maxPoolSize: 50, minPoolSize: 0 });
await ensureAllIndexes(handle.db);
const repo = createGenerationStatusRepository(handle.db);

let worlds = 0;
async function newWorld(): Promise<string> {
  const worldId = `w${worlds++}`;
  await repo.initialize({ worldId, charactersCount: 3, postsCount: 10, userPrompt: 'p'.repeat(500), apiCallLimitsLlm: 100, apiCallLimitsImages: 50, tasksPredicted: 20 });
  return worldId;
}
/** CPU milliseconds (user + system) of the process per repetition of `fn`. */
async function cpuMsPer(fn: (worldId: string, r: number) => Promise<unknown>): Promise<number> {
  const worldId = await newWorld();
  const c0 = process.cpuUsage();
  for (let r = 0; r < reps; r++) await fn(worldId, r);
  const c = process.cpuUsage(c0);
  return (c.user + c.system) / reps / 1000;
}
const keys = (r: number, k: number) => Array.from({ length: k }, (_, i) => ({ key: `k${r}:${i}`, increments: { tasks_total: 1 } }));
const one = (k: number) => (worldId: string, r: number) => keys(r, k).reduce((p, { key, increments }) => p.then(() => repo.applyOnce(worldId, key, increments)), Promise.resolve(true));
const many = (k: number) => (worldId: string, r: number) => repo.applyManyOnce(worldId, keys(r, k));
const status = handle.db.collection('world_generation_status');
const plain = {
  'findOne {_id} (whole status document)': (worldId: string) => status.findOne({ _id: worldId as never }),
  'findOne {_id} (projection of one field)': (worldId: string) => status.findOne({ _id: worldId as never }, { projection: { tasks_total: 1 } }),
  'updateOne {_id} $inc': (worldId: string) => status.updateOne({ _id: worldId as never }, { $inc: { tasks_total: 1 } }),
  ping: () => handle.db.command({ ping: 1 }),
};

await cpuMsPer(one(2));
await cpuMsPer(many(2)); // warm-up: JIT, pool
for (const k of [1, 2, 5]) {
  const single: string[] = [];
  const batched: string[] = [];
  for (let round = 0; round < 3; round++) {
    single.push((await cpuMsPer(one(k))).toFixed(2));
    batched.push((await cpuMsPer(many(k))).toFixed(2));
  }
  console.log(`${k} key(s): ${k} × applyOnce ${single.join(' ')} ms CPU | one applyManyOnce ${batched.join(' ')} ms CPU`);
}
for (const [name, fn] of Object.entries(plain)) {
  const rounds: string[] = [];
  for (let round = 0; round < 3; round++) rounds.push(((await cpuMsPer(fn)) * 1000).toFixed(0));
  console.log(`${name}: ${rounds.join(' ')} µs CPU per command`);
}
await handle.db.dropDatabase();
await handle.close();
