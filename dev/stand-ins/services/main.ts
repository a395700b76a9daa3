/**
 * Starts the in-memory service stand-ins for the offline demo and prints their URLs.
 *
 * Usage: bun run dev/stand-ins/services/main.ts [--port 50051] [--upload-port 50060] [--host 127.0.0.1] [--dedupe-idempotency-keys]
 *
 * Like the Go services, the stand-ins ignore `idempotency-key` unless `--dedupe-idempotency-keys` is given.
 */
import { parseArgs } from 'node:util';
import { startServiceStandIns } from './index';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'upload-port': { type: 'string' },
    host: { type: 'string' },
    'dedupe-idempotency-keys': { type: 'boolean' },
  },
});

const standIns = await startServiceStandIns({
  ...(values.port ? { port: Number(values.port) } : {}),
  ...(values['upload-port'] ? { uploadPort: Number(values['upload-port']) } : {}),
  ...(values.host ? { host: values.host } : {}),
  dedupeIdempotencyKeys: values['dedupe-idempotency-keys'] ?? false,
});

console.log(`service stand-ins (character, post, media, world) gRPC h2c: ${standIns.url}`);
console.log(`presigned upload server: ${standIns.uploadBaseUrl}`);
console.log(JSON.stringify({ url: standIns.url, uploadBaseUrl: standIns.uploadBaseUrl }));

const shutdown = async (): Promise<void> => {
  await standIns.close();
  process.exit(0);
};
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
