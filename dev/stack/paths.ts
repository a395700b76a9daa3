import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

/** Repository root (this file lives in `<repo>/dev/stack/`). */
export const REPO_ROOT = resolve(import.meta.dirname, '..', '..');

/** Project-local tool binaries (git-ignored). STACK_TOOLS_BIN overrides it (e.g. a CI cache directory). */
export const TOOLS_BIN = process.env.STACK_TOOLS_BIN || join(REPO_ROOT, '.tools', 'bin');

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Finds an executable on PATH, like `which`. Returns its absolute path or undefined. */
export function findOnPath(name: string, pathVar: string | undefined = process.env.PATH): string | undefined {
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/** The project-local binary `<repo>/.tools/bin/<name>` if it exists. */
export function findLocalTool(name: string): string | undefined {
  const candidate = join(TOOLS_BIN, name);
  return isExecutable(candidate) ? candidate : undefined;
}

/** `go` from PATH, else the standard /usr/local/go install. */
export function findGo(): string | undefined {
  return findOnPath('go') ?? (isExecutable('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : undefined);
}
