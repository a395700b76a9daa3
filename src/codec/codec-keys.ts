/**
 * The codec's keys as configured: `PAYLOAD_CODEC_KEYS=<id>:<base64 of 32 bytes>,<id>:<…>` — oldest first, the last
 * one encrypts. Make a key with `openssl rand -base64 32`. Errors name the entry by position and id, never the key.
 * @module
 */
import { PayloadCodecError, type CodecKey } from './encryption-codec';

export function parseCodecKeys(text: string, variable = 'PAYLOAD_CODEC_KEYS'): CodecKey[] {
  const entries = text
    .split(',')
    .map((e) => e.trim())
    .filter((e) => e !== '');
  if (entries.length === 0) throw new PayloadCodecError(`${variable}: no keys listed`);
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) throw new PayloadCodecError(`${variable}: entry ${i + 1} must look like <id>:<base64 key>`);
    const id = entry.slice(0, colon).trim();
    const b64 = entry.slice(colon + 1).trim();
    if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(b64)) throw new PayloadCodecError(`${variable}: key "${id}" is not base64`);
    return { id, key: new Uint8Array(Buffer.from(b64, 'base64')) };
  });
}
