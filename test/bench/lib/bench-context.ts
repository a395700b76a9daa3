/**
 * One benchmark environment: the shared local stack, a MongoDB proxy that counts the worker's commands, the world
 * harness (stand-ins + the production worker under Node) with the stand-ins set to a latency table.
 */
import { getStack, type Stack } from '../../support/stack';
import { startWorldHarness, type WorldHarness } from '../../support/world-harness';
import { llmDelayMs, runwareRequestDelayMs, type LatencyTable } from '../../../dev/stand-ins/latency-table';
import { processName } from './proc';
import { spawnMongoProxy, type RemoteMongoProxy } from './mongo-proxy';

export interface BenchContext {
  stack: Stack;
  h: WorldHarness;
  proxy: RemoteMongoProxy;
  table: LatencyTable;
  /** The stack's MongoDB-compatible server and Temporal dev server, if this stack started them. */
  mongoPid?: number;
  /** Every process of the database: the MongoDB-compatible server, and PostgreSQL under FerretDB's PostgreSQL backend. */
  databasePids: number[];
  temporalPid?: number;
  /** Re-applies the table (service stand-in `reset()` clears its latency). */
  applyTable(): void;
  setTable(table: LatencyTable): void;
  close(): Promise<void>;
}

export async function openContext(table: LatencyTable, env: Record<string, string> = {}): Promise<BenchContext> {
  const stack = await getStack();
  const proxy = await spawnMongoProxy(stack.mongoUri);
  let h: WorldHarness;
  try {
    // LLM_TIMEOUT_MS: the production default (the e2e harness sets 20 s); under the realistic table a 10-character
    // batch streams for ~30 s, as a real model would, and must not time out.
    h = await startWorldHarness({ env: { MONGODB_URI: proxy.uri, LLM_TIMEOUT_MS: '300000', ...env } });
  } catch (err) {
    await proxy.close();
    throw err;
  }
  const named = stack.pids.map((pid) => ({ pid, name: processName(pid) }));
  const ctx: BenchContext = {
    stack,
    h,
    proxy,
    table,
    mongoPid: named.find((p) => /ferret|mongod/.test(p.name))?.pid,
    // comm of the postmaster is "postgres" (setpriv execs it, same pid); its backends are its children.
    databasePids: named.filter((p) => /ferret|mongod|postgres/.test(p.name)).map((p) => p.pid),
    temporalPid: named.find((p) => /temporal/.test(p.name))?.pid,
    applyTable() {
      const t = ctx.table;
      h.llm.setLatency(0);
      h.llm.setAnswerLatency((a) => llmDelayMs(t, a.completionTokens));
      h.images.setLatency((tasks) => runwareRequestDelayMs(t, tasks));
      h.services.setLatency('*', t.servicesMs);
    },
    setTable(t) {
      ctx.table = t;
      ctx.applyTable();
    },
    async close() {
      await h.stop();
      await proxy.close();
    },
  };
  ctx.applyTable();
  return ctx;
}
