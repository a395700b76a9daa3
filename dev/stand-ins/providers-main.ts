/**
 * Starts the OpenRouter and Runware stand-ins for the offline demo and prints their URLs.
 *
 *   bun run dev/stand-ins/providers-main.ts [--openrouter-port 8701] [--runware-port 8702] [--latency-ms 200]
 *
 * Prints `OPENROUTER_BASE_URL=…` and `RUNWARE_BASE_URL=…` lines (shell-sourceable) and runs until
 * SIGINT/SIGTERM. The stand-ins use only node:http, so a bundled copy also runs under Node 24.
 */
import { startOpenRouterStandIn } from './openrouter/index';
import { startRunwareStandIn } from './runware/index';

function arg(name: string): number | undefined {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : undefined;
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} must be a non-negative integer`);
  return n;
}

const latencyMs = arg('latency-ms') ?? 0;
const openRouter = await startOpenRouterStandIn({ port: arg('openrouter-port') ?? 0, latencyMs });
const runware = await startRunwareStandIn({ port: arg('runware-port') ?? 0, latencyMs });

console.log(`OPENROUTER_BASE_URL=${openRouter.url}`);
console.log(`RUNWARE_BASE_URL=${runware.url}`);

let stopping = false;
async function stop(): Promise<void> {
  if (stopping) return;
  stopping = true;
  console.error(
    `stand-ins stopping: ${openRouter.requests.length} LLM request(s), ${runware.requests.length} image request(s) served`,
  );
  await Promise.all([openRouter.close(), runware.close()]);
  process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
