/**
 * Generated-code drift check: regenerates the protobuf-es output into a
 * temporary directory with the committed buf.gen.yaml (local plugin, so it
 * works offline) and compares it byte for byte with src/gen.
 *
 * Usage: bun run scripts/check-gen.ts   (exit 0 = up to date, 1 = drift, 2 = buf failed)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';

const root = resolve(import.meta.dir, '..');
const committedDir = join(root, 'src', 'gen');
const binDirs = [join(root, 'node_modules', '.bin'), join(root, '.tools', 'bun', 'node_modules', '.bin')];

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

const tmp = mkdtempSync(join(tmpdir(), 'generia-check-gen-'));
try {
  // `-o` prefixes the template's `out: src/gen`, so output lands in <tmp>/src/gen.
  const res = spawnSync('buf', ['generate', '-o', tmp], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, PATH: [...binDirs, process.env.PATH ?? ''].join(':') },
  });
  if (res.error || res.status !== 0) {
    console.error(`check-gen: buf generate failed: ${res.error?.message ?? res.stderr}`);
    process.exit(2);
  }
  const freshDir = join(tmp, 'src', 'gen');
  const fresh = listFiles(freshDir);
  const committed = listFiles(committedDir);
  const problems: string[] = [];
  for (const f of fresh) {
    if (!committed.includes(f)) problems.push(`missing from src/gen: ${f}`);
    else if (!readFileSync(join(freshDir, f)).equals(readFileSync(join(committedDir, f)))) {
      problems.push(`differs: src/gen/${f}`);
    }
  }
  for (const f of committed) if (!fresh.includes(f)) problems.push(`stale (not generated any more): src/gen/${f}`);
  if (problems.length > 0) {
    console.error('check-gen: src/gen is out of date with proto/ and buf.gen.yaml:');
    for (const p of problems) console.error(`  - ${p}`);
    console.error('Run `bun run gen` (buf generate) and commit the result.');
    process.exit(1);
  }
  console.log(`check-gen: src/gen is up to date (${fresh.length} files).`);
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
