/**
 * What an operator sees when starting the real worker entry (built as scripts/build.ts builds it, run under Node 24)
 * with a bad setup: a misspelt variable is warned about with the closest name, bad configuration exits 78 before
 * anything connects, and an unreachable MongoDB is one line naming MONGODB_URI with the password hidden. Before,
 * the misspelling was silent and the MongoDB failure was the driver's stack trace.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;
const node = join(root, 'node_modules/.bin/node');
let dir: string;
let entry: string;

beforeAll(async () => {
  // Inside the repository, so the external packages resolve from node_modules as in dist/.
  dir = mkdtempSync(join(root, '.build/config-startup-'));
  const result = await Bun.build({ entrypoints: [join(root, 'src/worker/main.ts')], outdir: dir, naming: 'worker.js', target: 'node', format: 'esm', packages: 'external' });
  if (!result.success) throw new Error(result.logs.map(String).join('\n'));
  entry = join(dir, 'worker.js');
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const run = (env: Record<string, string>) => {
  const r = spawnSync(node, [entry], { env: { PATH: process.env.PATH ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** As run(), without blocking the event loop (the listener above must keep accepting while the worker runs). */
const runAsync = (env: Record<string, string>) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(node, [entry], { env: { PATH: process.env.PATH ?? '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

describe('worker start-up', () => {
  test('bad configuration: exit 78 with every problem, before connecting to anything', async () => {
    // A listener standing in for MongoDB and Temporal: it only counts connections.
    let connections = 0;
    const listener = createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const { port } = listener.address() as { port: number };
    try {
      const r = await runAsync({ OPENROUTER_API_KEY: 'k', GRPC_DEADLINE_MS: 'soon', MONGODB_URI: `mongodb://127.0.0.1:${port}/`, TEMPORAL_ADDRESS: `127.0.0.1:${port}` });
      expect(r.code).toBe(78);
      expect(r.stderr).toContain('RUNWARE_API_KEY: is missing or empty');
      expect(r.stderr).toContain('GRPC_DEADLINE_MS: "soon" is not an integer');
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  }, 60_000);

  test('a misspelt variable is warned about; an unreachable MongoDB is one line naming MONGODB_URI', async () => {
    const port = await closedPort();
    const r = run({ OPENROUTER_API_KEY: 'k', RUNWARE_API_KEY: 'r', MONGODB_URL: 'x', MONGODB_URI: `mongodb://admin:hunter2@127.0.0.1:${port}/` });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('MONGODB_URL is not a known variable and is ignored (did you mean MONGODB_URI?)');
    const failure = r.stderr.trim().split('\n');
    expect(failure).toEqual([`worker failed: cannot connect to MongoDB at mongodb://admin:***@127.0.0.1:${port}/ (MONGODB_URI): connect ECONNREFUSED 127.0.0.1:${port}`]);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  }, 60_000);
});
