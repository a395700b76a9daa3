/**
 * The one place every Temporal client and worker of this project gets its data converter: with payload encryption
 * configured, the AES-256-GCM codec (encryption-codec.ts); without it, none (the SDK's defaults).
 *
 * ```ts
 * const config = loadConfig();
 * const client = new Client({ connection, namespace, ...dataConverterOption(dataConverterFromConfig(config)) });
 * // scripts that do not load the whole config:
 * const client2 = new Client({ connection, ...dataConverterOption(dataConverterFromEnv()) });
 * ```
 * Every client must use it when the workers do: a client without it starts worlds whose input is stored in
 * plaintext and cannot read the (encrypted) results.
 * @module
 */
import type { DataConverter } from '@temporalio/common';
import { parseCodecKeys } from './codec-keys';
import { AesGcmPayloadCodec, type CodecKey } from './encryption-codec';

/** The data converter for these keys (oldest first, the last encrypts), or undefined when there are none. */
export function dataConverterFromKeys(keys: readonly CodecKey[] | undefined): DataConverter | undefined {
  if (!keys || keys.length === 0) return undefined;
  return { payloadCodecs: [new AesGcmPayloadCodec(keys)] };
}

/** The data converter for the loaded configuration (`PAYLOAD_CODEC_KEYS`), or undefined when payloads are not encrypted. */
export function dataConverterFromConfig(config: { readonly dataSafety: { readonly payloadCodecKeys: string | undefined } }): DataConverter | undefined {
  const raw = config.dataSafety.payloadCodecKeys?.trim();
  return raw ? dataConverterFromKeys(parseCodecKeys(raw)) : undefined;
}

/** Same, from `PAYLOAD_CODEC_KEYS` in the environment (for scripts and clients that do not load the worker config). */
export function dataConverterFromEnv(env: Record<string, string | undefined> = process.env): DataConverter | undefined {
  return dataConverterFromConfig({ dataSafety: { payloadCodecKeys: env.PAYLOAD_CODEC_KEYS } });
}

/** `{ dataConverter }` when there is one, else `{}`: spread into `new Client({...})` / `Worker.create({...})`. */
export function dataConverterOption(dc: DataConverter | undefined): { dataConverter?: DataConverter } {
  return dc ? { dataConverter: dc } : {};
}
