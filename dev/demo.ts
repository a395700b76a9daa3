/**
 * `bun run demo` — the first command on a fresh clone. This file only provisions: it installs the dependencies
 * when they are missing (so it imports nothing but node:*), then hands over to demo-world.ts, which fetches the
 * servers (dev/stack/tools.ts) and runs a demo world. Options: `bun run demo --help`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const installed = ['commander', 'cli-progress', '@temporalio/client', 'fflate', '.bin/node'].every((m) => existsSync(join(REPO_ROOT, 'node_modules', m)));
if (!installed) {
  process.stderr.write('[demo] installing dependencies (bun install --frozen-lockfile)…\n');
  const r = spawnSync(process.execPath, ['install', '--frozen-lockfile'], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (r.status !== 0) {
    process.stderr.write(`[demo] bun install failed (${r.signal ?? `exit ${r.status}`})\n`);
    process.exit(1);
  }
}
await import('./demo-world');
