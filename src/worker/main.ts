/**
 * Worker process entry (runs under Node: `node dist/worker.js`). Parses config once, starts the
 * configured roles, and handles signals: the first SIGTERM/SIGINT stops polling and lets in-flight
 * activities finish within SHUTDOWN_GRACE_MS; a second one exits at once.
 */
import { Runtime } from '@temporalio/worker';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../config/config';
import { createLogger } from '../logger';
import { runWorker } from './run-worker';

async function main(): Promise<number> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    return 78; // EX_CONFIG
  }
  const log = createLogger(config.logLevel);
  // We own the signals: the SDK's default handler would also react to the second signal by waiting.
  Runtime.install({ shutdownSignals: [] });

  const prebuilt = config.worker.workflowBundlePath ?? fileURLToPath(new URL('./workflow-bundle.js', import.meta.url));
  const source = existsSync(prebuilt)
    ? { bundlePath: prebuilt }
    : { workflowsPath: fileURLToPath(new URL('../workflows/index.ts', import.meta.url)) };

  const worker = await runWorker(config, log, source);
  let signals = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals === 1) {
      log.info('shutting down: draining in-flight activities', { signal, grace_ms: config.worker.shutdownGraceMs });
      worker.shutdown();
    } else {
      log.warn('second signal: exiting now', { signal });
      process.exit(130);
    }
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  await worker.done;
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`worker failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
