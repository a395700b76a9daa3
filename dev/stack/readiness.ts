import { createServer, Socket } from 'node:net';
import { Connection } from '@temporalio/client';
import { MongoClient } from 'mongodb';

/** Asks the OS for a free loopback port (listen on port 0, read it, close). */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new Error('could not probe a free port'));
        return;
      }
      srv.close(() => resolve(addr.port));
    });
  });
}

/** True if something accepts TCP connections on host:port. */
export function canConnect(host: string, port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = new Socket();
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
    sock.connect(port, host);
  });
}

export type Probe = () => Promise<void>;

/**
 * Retries `probe` until it succeeds, `abort()` returns a reason to give up (e.g. the server died), or the
 * deadline passes. Rejects with the last probe error.
 */
export async function waitUntil(what: string, probe: Probe, opts: { timeoutMs: number; abort?: () => string | undefined }): Promise<void> {
  const deadline = performance.now() + opts.timeoutMs;
  let lastError: unknown;
  for (let delay = 50; ; delay = Math.min(delay * 2, 500)) {
    const reason = opts.abort?.();
    if (reason) throw new Error(`${what}: ${reason}`);
    try {
      await probe();
      return;
    } catch (err) {
      lastError = err;
    }
    if (performance.now() > deadline) {
      const msg = lastError instanceof Error ? lastError.message : String(lastError);
      throw new Error(`${what}: not ready after ${opts.timeoutMs} ms (last error: ${msg})`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

/** One MongoDB `ping` round trip. */
export async function pingMongo(uri: string): Promise<void> {
  const client = new MongoClient(uri, { serverSelectionTimeoutMS: 1_500, connectTimeoutMS: 1_500 });
  try {
    await client.db('admin').command({ ping: 1 });
  } finally {
    await client.close();
  }
}

/** Connects to a Temporal frontend and describes the namespace (proves the server really serves requests). */
export async function pingTemporal(address: string, namespace = 'default'): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 1_500 });
  try {
    await connection.withDeadline(Date.now() + 2_000, () => connection.workflowService.describeNamespace({ namespace }));
  } finally {
    await connection.close();
  }
}
