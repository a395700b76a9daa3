/**
 * Runs the codec server for the Temporal Web UI: `bun src/codec/main.ts` (or node on the built file).
 *   PAYLOAD_CODEC_KEYS       the workers' keys (secret; see codec-keys.ts)
 *   CODEC_SERVER_PORT        @default 8888
 *   CODEC_SERVER_HOST        @default 127.0.0.1 — loopback: it decrypts for whoever reaches it
 *   CODEC_SERVER_ORIGINS     comma-separated UI origins allowed by CORS. @default http://localhost:8233 (dev server UI)
 *   CODEC_SERVER_AUTH_TOKEN  optional (secret): require `Authorization: Bearer <token>`
 * @module
 */
import { parseCodecKeys } from './codec-keys';
import { startCodecServer } from './codec-server';
import { AesGcmPayloadCodec } from './encryption-codec';

const env = process.env;
try {
  const raw = env.PAYLOAD_CODEC_KEYS?.trim();
  if (!raw) throw new Error('PAYLOAD_CODEC_KEYS is missing: the codec server needs the workers\' keys');
  const codec = new AesGcmPayloadCodec(parseCodecKeys(raw));
  const port = Number(env.CODEC_SERVER_PORT ?? 8888);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('CODEC_SERVER_PORT must be an integer 0..65535');
  const server = await startCodecServer({
    codec,
    port,
    host: env.CODEC_SERVER_HOST ?? '127.0.0.1',
    allowedOrigins: (env.CODEC_SERVER_ORIGINS ?? 'http://localhost:8233').split(',').map((o) => o.trim()).filter(Boolean),
    authToken: env.CODEC_SERVER_AUTH_TOKEN || undefined,
  });
  process.stdout.write(`${JSON.stringify({ message: 'codec server ready', url: server.url, key_id: codec.currentKeyId })}\n`);
  const stop = () => void server.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
} catch (err) {
  process.stderr.write(`codec server: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(78);
}
