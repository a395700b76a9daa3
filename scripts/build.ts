/**
 * Production build: `bun run build`.
 *
 * - dist/worker.js           the Node worker entry (ESM, dependencies left external: node_modules ships beside it)
 * - dist/workflow-bundle.js  the prebuilt workflow bundle; the worker loads it with `workflowBundle: { codePath }`
 *   from next to itself, i.e. `fileURLToPath(new URL('./workflow-bundle.js', import.meta.url))`.
 * - dist/workflow-bundle.otel.js  the same with the OpenTelemetry workflow interceptors, loaded instead when
 *   tracing is on (src/observability/workflow-modules.ts says why there are two).
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { tracedBundlePath, WORKFLOW_INTERCEPTOR_MODULES } from '../src/observability/workflow-modules';

const REPO_ROOT = resolve(import.meta.dirname, '..');
export const WORKER_ENTRY = join(REPO_ROOT, 'src/worker/main.ts');
export const WORKFLOWS_ENTRY = join(REPO_ROOT, 'src/workflows/index.ts');
export const OUT_DIR = join(REPO_ROOT, 'dist');

export const WORKER_FILE = 'worker.js';
export const WORKFLOW_BUNDLE_FILE = 'workflow-bundle.js';

export type BuildOptions = {
  workerEntry: string;
  workflowsEntry: string;
  outDir: string;
  log?: (line: string) => void;
  /** Also write the traced bundle (`workflow-bundle.otel.js`). The production build does; tests build it only when they trace. */
  tracedBundle?: boolean;
};
export type BuildResult = { workerPath: string; workflowBundlePath: string; tracedWorkflowBundlePath?: string };

/** The workflow bundle's code; `traced` adds the OpenTelemetry workflow interceptors (a prebuilt bundle ignores Worker interceptor modules). */
export async function bundleWorkflows(workflowsEntry: string, traced: boolean): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: workflowsEntry,
    ...(traced ? { workflowInterceptorModules: [...WORKFLOW_INTERCEPTOR_MODULES] } : {}),
    logger: new DefaultLogger('WARN'),
  });
  return code;
}

export async function buildWorker(opts: BuildOptions): Promise<BuildResult> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`[build] ${line}\n`));
  const missing = [opts.workerEntry, opts.workflowsEntry].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`build: entry file(s) missing: ${missing.map((p) => relative(REPO_ROOT, p)).join(', ')}`);
  }
  mkdirSync(opts.outDir, { recursive: true });

  let t0 = performance.now();
  const result = await Bun.build({
    entrypoints: [opts.workerEntry],
    outdir: opts.outDir,
    naming: WORKER_FILE,
    target: 'node',
    format: 'esm',
    packages: 'external',
    sourcemap: 'linked',
    throw: false,
  });
  if (!result.success) {
    throw new Error(`build: bundling ${relative(REPO_ROOT, opts.workerEntry)} failed:\n${result.logs.map(String).join('\n')}`);
  }
  const workerPath = join(opts.outDir, WORKER_FILE);
  log(`${relative(REPO_ROOT, workerPath)} (${ms(t0)})`);

  t0 = performance.now();
  const workflowBundlePath = join(opts.outDir, WORKFLOW_BUNDLE_FILE);
  writeFileSync(workflowBundlePath, await bundleWorkflows(opts.workflowsEntry, false));
  log(`${relative(REPO_ROOT, workflowBundlePath)} (${ms(t0)})`);
  if (!opts.tracedBundle) return { workerPath, workflowBundlePath };

  t0 = performance.now();
  const tracedWorkflowBundlePath = tracedBundlePath(workflowBundlePath);
  writeFileSync(tracedWorkflowBundlePath, await bundleWorkflows(opts.workflowsEntry, true));
  log(`${relative(REPO_ROOT, tracedWorkflowBundlePath)} (${ms(t0)})`);
  return { workerPath, workflowBundlePath, tracedWorkflowBundlePath };
}

function ms(start: number): string {
  return `${Math.round(performance.now() - start)} ms`;
}

if (import.meta.main) {
  try {
    await buildWorker({ workerEntry: WORKER_ENTRY, workflowsEntry: WORKFLOWS_ENTRY, outDir: OUT_DIR, tracedBundle: true });
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  }
}
