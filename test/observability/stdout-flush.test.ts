/**
 * The service logger writes stdout asynchronously (src/observability/logger.ts). These prove no line is lost when
 * the process ends right after logging — process.exit, an uncaught exception, a SIGTERM handler that exits — under
 * Node 24 (the worker's runtime), with stdout a pipe read by a slower parent, as under Docker or the e2e harness.
 * Each case logs 2,000 lines of ~300 bytes (600 KB: far more than a pipe holds) and then exits at once.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');
let dir: string;
let script: string;

beforeAll(async () => {
  dir = mkdtempSync(join(REPO_ROOT, '.build', 'log-flush-'));
  const built = await Bun.build({
    entrypoints: [join(import.meta.dirname, 'fixtures/log-then-exit.ts')],
    outdir: dir,
    target: 'node',
    format: 'esm',
    packages: 'external',
  });
  if (!built.success) throw new Error(built.logs.join('\n'));
  script = join(dir, 'log-then-exit.js');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function run(mode: string): Promise<{ code: number | null; lines: string[]; stderr: string }> {
  const child = spawn(NODE, [script], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', MODE: mode, COUNT: '2000' } });
  let stdout = '';
  let stderr = '';
  // A slow reader: the pipe fills while the child is still logging.
  child.stdout!.pause();
  const resume = setTimeout(() => child.stdout!.resume(), 300);
  child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr!.on('data', (c: Buffer) => {
    stderr += c.toString();
    if (mode === 'signal' && stderr.includes('waiting')) child.kill('SIGTERM');
  });
  const code = await new Promise<number | null>((r) => child.once('close', (c) => r(c)));
  clearTimeout(resume);
  return { code, lines: stdout.split('\n').filter((l) => l.length > 0), stderr };
}

function expectAllLines(lines: string[]) {
  const parsed = lines.map((l) => JSON.parse(l) as { message: string; i?: number });
  const numbered = parsed.filter((p) => p.message === 'line').map((p) => p.i);
  expect(numbered.length).toBe(2000);
  expect(numbered).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  expect(parsed.at(-1)!.message).toBe('last line before exit');
}

describe('asynchronous stdout logging loses no line at exit', () => {
  test('process.exit right after logging', async () => {
    const r = await run('exit');
    expect(r.code).toBe(3);
    expectAllLines(r.lines);
  }, 30_000);

  test('an uncaught exception right after logging', async () => {
    const r = await run('throw');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('fatal');
    expectAllLines(r.lines);
  }, 30_000);

  test('a SIGTERM handler that logs and exits', async () => {
    const r = await run('signal');
    expect(r.code).toBe(0);
    expectAllLines(r.lines);
  }, 30_000);
});
