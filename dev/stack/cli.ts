/**
 * `bun run stack up`    — start Temporal + MongoDB-compatible server, print env exports, stop on Ctrl-C.
 * `bun run stack build` — only build/reuse the tool binaries in .tools/bin (CI pre-build step).
 */
import { startStack } from './index';
import { ensureFerretdb, ensureTemporal } from './tools';
import { findOnPath } from './paths';

const log = (line: string) => process.stderr.write(`[stack] ${line}\n`);

async function build(): Promise<void> {
  const mongod = findOnPath('mongod');
  if (mongod) log(`mongod on PATH (${mongod}); building FerretDB anyway so tests can fall back to it`);
  // Both builds are mostly waiting on the Go toolchain and the module proxy: run them side by side.
  const [t, f] = await Promise.all([ensureTemporal(log), ensureFerretdb(log)]);
  log(`temporal: ${t.path} (${t.source})`);
  log(`ferretdb: ${f.path} (${f.source})`);
}

async function up(): Promise<void> {
  const stack = await startStack({ log });
  process.stdout.write(
    [
      `export TEMPORAL_ADDRESS=${stack.temporalAddress}`,
      `export MONGODB_URI=${stack.mongoUri}`,
      `# temporal: ${stack.temporalKind}, mongo: ${stack.mongoKind}, pids: ${stack.pids.join(' ') || '-'}`,
      '# Ctrl-C to stop',
      '',
    ].join('\n'),
  );
  await new Promise<void>((resolve) => {
    const onSignal = (sig: NodeJS.Signals) => {
      log(`${sig}: stopping…`);
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await stack.stop();
  log('stopped');
}

const command = process.argv[2];
try {
  if (command === 'up') await up();
  else if (command === 'build') await build();
  else {
    process.stderr.write('usage: bun run stack <up|build>\n');
    process.exitCode = 2;
  }
} catch (err) {
  process.stderr.write(`[stack] ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = 1;
}
