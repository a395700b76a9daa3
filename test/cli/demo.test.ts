/**
 * `bun run demo` as a new operator runs it, in its non-interactive form: a subprocess that must end with a
 * completed world and leave no process and no temporary directory behind — also when it is stopped with SIGTERM
 * half-way. Processes are found by what identifies them as this demo's: the state directory on the servers'
 * command lines, the build directory on the worker's.
 */
import { describe, expect, test } from 'bun:test';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { sideClusterDir } from '../../dev/stack/mongo-server';
import { STACK_TIMEOUT_MS } from '../support/stack';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const BUILD_DIR = join(REPO_ROOT, '.build');

/** Pids whose command line mentions `needle` (Linux /proc), other than this test process. */
function processesMentioning(needle: string): { pid: number; cmd: string }[] {
  const found: { pid: number; cmd: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(needle)) found.push({ pid: Number(entry), cmd });
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

const demoBuilds = () => (existsSync(BUILD_DIR) ? readdirSync(BUILD_DIR).filter((d) => d.startsWith('demo-')) : []);

function startDemo(args: string[]) {
  const proc = Bun.spawn([process.execPath, 'run', 'demo', ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
  });
  let stdout = '';
  let stderr = '';
  const read = async (stream: ReadableStream<Uint8Array>, add: (s: string) => void) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) add(decoder.decode(chunk));
  };
  const done = Promise.all([read(proc.stdout, (s) => (stdout += s)), read(proc.stderr, (s) => (stderr += s)), proc.exited]);
  return { proc, done, stdout: () => stdout, stderr: () => stderr };
}

/** Nothing of the demo is left once it has exited: the servers and the worker may take a moment to be reaped. */
async function expectNothingLeft(stateDir: string, buildsBefore: string[]) {
  const newBuilds = () => demoBuilds().filter((d) => !buildsBefore.includes(d));
  const leftovers = () => [...processesMentioning(stateDir), ...newBuilds().flatMap((d) => processesMentioning(join(BUILD_DIR, d)))];
  for (let i = 0; i < 50 && leftovers().length > 0; i++) await Bun.sleep(100);
  expect(leftovers()).toEqual([]);
  expect(newBuilds()).toEqual([]);
}

describe('bun run demo', () => {
  test(
    'non-interactive with --cleanup: exits 0 with a completed world, nothing left running, no directory left',
    async () => {
      const stateDir = join(mkdtempSync(join(tmpdir(), 'demo-test-')), 'state');
      const before = demoBuilds();
      try {
        const demo = startDemo(['--cleanup', '--state-dir', stateDir, '--characters', '1', '--posts', '2', '--prompt', 'Orchards that grow clocks instead of fruit.']);
        const [, , code] = await demo.done;
        expect(demo.stderr()).not.toContain('failed:');
        expect(code).toBe(0);
        const out = demo.stdout();
        // What the operator needs to look at the world: the Web UI and the database.
        expect(out).toMatch(/Temporal Web UI {2}http:\/\/127\.0\.0\.1:\d+/);
        expect(out).toMatch(/MongoDB {10}mongodb:\/\/127\.0\.0\.1:\d+\/ \(database generia_ai_worker\)/);
        const last = JSON.parse(out.split('\n').filter((l) => l.startsWith('{')).at(-1)!);
        expect(last).toMatchObject({ state: 'completed', final: true, characters: { created: 1, requested: 1 }, posts: { created: 2, requested: 2 } });
        await expectNothingLeft(stateDir, before);
        expect(existsSync(stateDir)).toBe(false);
      } finally {
        rmSync(resolve(stateDir, '..'), { recursive: true, force: true });
        // The kept PostgreSQL cluster, when it had to live beside the root-private state directory.
        rmSync(sideClusterDir(stateDir), { recursive: true, force: true });
      }
    },
    STACK_TIMEOUT_MS,
  );

  test(
    'SIGTERM to `bun run demo` mid-world stops the servers, the stand-ins and the worker and removes the build',
    async () => {
      const stateDir = join(mkdtempSync(join(tmpdir(), 'demo-test-')), 'state');
      const before = demoBuilds();
      try {
        const demo = startDemo(['--exit', '--state-dir', stateDir, '--characters', '2', '--posts', '6']);
        for (let i = 0; !/"state":"in_progress"/.test(demo.stdout()); i++) {
          if (i > 3000 || demo.proc.exitCode !== null) throw new Error(`the demo never got its world running:\n${demo.stderr().slice(-2000)}`);
          await Bun.sleep(100);
        }
        // Everything is up: servers on the state directory, the worker from the build directory.
        expect(processesMentioning(stateDir).length).toBeGreaterThanOrEqual(2);
        expect(demoBuilds().filter((d) => !before.includes(d))).toHaveLength(1);

        demo.proc.kill('SIGTERM');
        const [, , code] = await demo.done;
        expect(code).not.toBe(0);
        expect(demo.stderr()).toContain('SIGTERM: stopping');
        await expectNothingLeft(stateDir, before);
        // Without --cleanup the world's data is kept to inspect.
        expect(existsSync(join(stateDir, 'temporal.db'))).toBe(true);
      } finally {
        rmSync(resolve(stateDir, '..'), { recursive: true, force: true });
      }
    },
    STACK_TIMEOUT_MS,
  );
});
