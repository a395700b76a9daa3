import { describe, expect, test } from 'bun:test';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';
import { startStack, type Stack } from '../../dev/stack';
import { canConnect, freePort } from '../../dev/stack/readiness';
import { STACK_TIMEOUT_MS } from '../support/stack';

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

function portOf(address: string): number {
  const m = /:(\d+)\/?$/.exec(address);
  if (!m?.[1]) throw new Error(`no port in ${address}`);
  return Number(m[1]);
}

const quiet = () => {};
const serverCount = (stack: Stack) => (stack.ferretdbBackend === 'postgresql' ? 3 : 2);

describe('startStack', () => {
  test(
    'starts its own Temporal dev server and MongoDB-compatible server, and stop() leaves nothing behind',
    async () => {
      const stack = await startStack({ ignoreEnv: true, log: quiet });
      let stopped = false;
      try {
        expect(stack.temporalKind).toBe('dev-server');
        expect(['mongod', 'ferretdb']).toContain(stack.mongoKind);
        // Temporal and the MongoDB-compatible server, plus PostgreSQL's postmaster under FerretDB's PostgreSQL backend.
        expect(stack.pids).toHaveLength(serverCount(stack));
        expect(stack.temporalAddress).toMatch(/^127\.0\.0\.1:\d+$/);
        expect(stack.mongoUri).toMatch(/^mongodb:\/\/127\.0\.0\.1:\d+\/$/);

        const mongo = new MongoClient(stack.mongoUri);
        try {
          const coll = mongo.db('stack_test').collection<{ _id: string; n: number }>('things');
          await coll.insertOne({ _id: 'a', n: 1 });
          expect(await coll.findOne({ _id: 'a' })).toEqual({ _id: 'a', n: 1 });
        } finally {
          await mongo.close();
        }

        const connection = await Connection.connect({ address: stack.temporalAddress });
        try {
          const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
          expect(ns.namespaceInfo?.name).toBe('default');
        } finally {
          await connection.close();
        }

        await stack.stop();
        stopped = true;
        await stack.stop(); // idempotent

        for (const pid of stack.pids) expect(isAlive(pid)).toBe(false);
        expect(await canConnect('127.0.0.1', portOf(stack.temporalAddress))).toBe(false);
        expect(await canConnect('127.0.0.1', portOf(stack.mongoUri))).toBe(false);
      } finally {
        if (!stopped) await stack.stop();
      }
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'restartMongo and restartTemporal bring each server back on the same port with the same data',
    async () => {
      const stack = await startStack({ ignoreEnv: true, log: quiet });
      try {
        const mongoPidBefore = stack.pids;
        const mongo = new MongoClient(stack.mongoUri, { serverSelectionTimeoutMS: 30_000 });
        const connection = await Connection.connect({ address: stack.temporalAddress });
        try {
          const coll = mongo.db('stack_restart').collection<{ _id: string; n: number }>('things');
          await coll.insertOne({ _id: 'kept', n: 7 });
          // A workflow that is still open when the server goes down: it must be there afterwards (state on disk).
          const workflowId = `restart-${crypto.randomUUID()}`;
          await connection.workflowService.startWorkflowExecution({
            namespace: 'default',
            workflowId,
            workflowType: { name: 'NoSuchWorkflow' },
            taskQueue: { name: `restart-${crypto.randomUUID()}` },
            requestId: crypto.randomUUID(),
          });

          await stack.restartMongo({ downtimeMs: 500 });
          expect(await coll.findOne({ _id: 'kept' })).toEqual({ _id: 'kept', n: 7 });

          await stack.restartTemporal();
          const described = await connection.workflowService.describeWorkflowExecution({
            namespace: 'default',
            execution: { workflowId },
          });
          expect(described.workflowExecutionInfo?.execution?.workflowId).toBe(workflowId);
          expect(described.workflowExecutionInfo?.status).toBe(1); // RUNNING

          expect(stack.pids).toHaveLength(serverCount(stack));
          // Both servers are new processes; only PostgreSQL under FerretDB (its storage) kept running.
          const kept = mongoPidBefore.filter((pid) => isAlive(pid));
          expect(kept).toHaveLength(stack.ferretdbBackend === 'postgresql' ? 1 : 0);
          for (const pid of kept) expect(stack.pids).toContain(pid);
          for (const pid of stack.pids) expect(isAlive(pid)).toBe(true);
        } finally {
          await connection.close();
          await mongo.close();
        }
      } finally {
        await stack.stop();
      }
      for (const pid of stack.pids) expect(isAlive(pid)).toBe(false);
      await expect(stack.restartMongo()).rejects.toThrow(/stack is stopped/);
    },
    STACK_TIMEOUT_MS,
  );

  test('restart of an external server is refused with the variable that names it', async () => {
    const real = await startStack({ ignoreEnv: true, log: quiet });
    try {
      const external = await startStack({ env: { TEMPORAL_ADDRESS: real.temporalAddress, MONGODB_URI: real.mongoUri }, log: quiet });
      try {
        await expect(external.restartMongo()).rejects.toThrow(/external server \(MONGODB_URI\)/);
        await expect(external.restartTemporal()).rejects.toThrow(/external server \(TEMPORAL_ADDRESS\)/);
      } finally {
        await external.stop();
      }
    } finally {
      await real.stop();
    }
  }, STACK_TIMEOUT_MS);

  test('rejects a TEMPORAL_ADDRESS with a scheme, before starting anything', async () => {
    await expect(startStack({ env: { TEMPORAL_ADDRESS: 'http://localhost:7233' }, log: quiet })).rejects.toThrow(
      /TEMPORAL_ADDRESS must be host:port/,
    );
  });

  test('rejects a MONGODB_URI that is not a mongodb:// URI', async () => {
    await expect(startStack({ env: { MONGODB_URI: 'localhost:27017' }, log: quiet })).rejects.toThrow(
      /MONGODB_URI must start with mongodb:\/\//,
    );
  });

  test('fails clearly when the external servers named by the environment do not answer', async () => {
    const [tPort, mPort] = [await freePort(), await freePort()];
    const attempt = startStack({
      env: { TEMPORAL_ADDRESS: `127.0.0.1:${tPort}`, MONGODB_URI: `mongodb://127.0.0.1:${mPort}/` },
      readyTimeoutMs: 1_000,
      log: quiet,
    });
    await expect(attempt).rejects.toThrow(/TEMPORAL_ADDRESS is set, but no Temporal server answered there/);
    await expect(attempt).rejects.toThrow(/MONGODB_URI is set, but no MongoDB server answered there/);
  }, 20_000);

  test(
    'a server that dies during start-up fails the start with its last output lines',
    async () => {
      const fakeBin = mkdtempSync(join(tmpdir(), 'fake-temporal-'));
      const fake = join(fakeBin, 'temporal');
      writeFileSync(fake, '#!/bin/sh\necho "boom: simulated start failure" >&2\nexit 3\n');
      chmodSync(fake, 0o755);
      const savedPath = process.env.PATH;
      process.env.PATH = `${fakeBin}:${savedPath ?? ''}`;
      try {
        await expect(startStack({ ignoreEnv: true, log: quiet })).rejects.toThrow(
          /temporal dev server .*died during start-up.*exited with code 3; last output:\n\s+boom: simulated start failure/s,
        );
      } finally {
        process.env.PATH = savedPath;
        rmSync(fakeBin, { recursive: true, force: true });
      }
    },
    STACK_TIMEOUT_MS,
  );
});
