/**
 * The one place every Temporal client and worker of this project gets its data converter: with payload encryption
 * configured, the AES-256-GCM codec (encryption-codec.ts); without it, none (the SDK's defaults).
 *
 * ```ts
 * const client = new Client({ connection, namespace, ...dataConverterOption(dataConverterFromEnv()) });
 * await Worker.create({ ..., ...dataConverterOption(dataConverterFromConfig({ keys })) });
 * ```
 * Every client must use it when the workers do: a client without it starts worlds whose input is stored in
 * plaintext and cannot read the (encrypted) results.
 * @module
 */
import type { DataConverter } from '@temporalio/common';
import { parseCodecKeys } from './codec-keys';
import { AesGcmPayloadCodec, type CodecKey } from './encryption-codec';

export interface PayloadCodecConfig {
  /** Oldest first; the last encrypts. Empty or absent: no encryption. */
  keys?: readonly CodecKey[] | undefined;
}

/** The data converter for this configuration, or undefined when payloads are not encrypted. */
export function dataConverterFromConfig(config: PayloadCodecConfig): DataConverter | undefined {
  if (!config.keys || config.keys.length === 0) return undefined;
  return { payloadCodecs: [new AesGcmPayloadCodec(config.keys)] };
}

/** Same, from `PAYLOAD_CODEC_KEYS` in the environment (for scripts and clients that do not load the worker config). */
export function dataConverterFromEnv(env: Record<string, string | undefined> = process.env): DataConverter | undefined {
  const raw = env.PAYLOAD_CODEC_KEYS?.trim();
  return raw ? dataConverterFromConfig({ keys: parseCodecKeys(raw) }) : undefined;
}

/** `{ dataConverter }` when there is one, else `{}`: spread into `new Client({...})` / `Worker.create({...})`. */
export function dataConverterOption(dc: DataConverter | undefined): { dataConverter?: DataConverter } {
  return dc ? { dataConverter: dc } : {};
}
