/**
 * AES-256-GCM payload codec with key rotation. Every payload that crosses Temporal (workflow and activity inputs
 * and results, signals, memos, failure details) is encrypted before it leaves this process, so Temporal's histories
 * hold ciphertext only. Runs in the worker and in every client, outside the workflow sandbox (a `PayloadCodec`).
 *
 * Wire form of an encrypted payload: metadata `encoding: binary/encrypted` and `encryption-key-id: <id>` (the key
 * that encrypted it), data `iv (12 bytes) ‖ ciphertext ‖ GCM tag (16 bytes)`. The plaintext is the original payload
 * (its metadata and data) as JSON with base64 bytes — both ends are this module, so no proto dependency is needed.
 * The key id is bound as additional authenticated data: a payload relabelled with another key id fails to decrypt.
 *
 * Rotation: keys are listed oldest first; the last one encrypts, every listed one decrypts. Add a new key at the
 * end (workers and clients alike), and drop an old key only once no history that holds it can still be read
 * (Temporal's retention has passed for every world started before it stopped being the newest).
 *
 * Node's own `crypto` does the work (no dependency): AES-GCM with a random 96-bit IV per payload, the construction
 * NIST SP 800-38D recommends; random IVs are safe far beyond the ~2^32 payloads per key one would ever encrypt here.
 * @module
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

export interface CodecKey {
  /** Names the key in each payload's metadata; never secret. */
  id: string;
  /** 32 random bytes. Secret. */
  key: Uint8Array;
}

/** A problem with the codec's keys or a payload; its message never contains key material. */
export class PayloadCodecError extends Error {
  override readonly name = 'PayloadCodecError';
}

const enc = new TextEncoder();
const dec = new TextDecoder();

export class AesGcmPayloadCodec implements PayloadCodec {
  readonly #keys: ReadonlyMap<string, Buffer>;
  readonly #current: { id: string; key: Buffer };

  /** `keys` oldest first; the last one encrypts new payloads. */
  constructor(keys: readonly CodecKey[]) {
    if (keys.length === 0) throw new PayloadCodecError('the payload codec needs at least one key');
    const map = new Map<string, Buffer>();
    for (const [i, k] of keys.entries()) {
      if (!KEY_ID.test(k.id)) throw new PayloadCodecError(`key ${i + 1}: the id must be 1-64 characters of A-Z a-z 0-9 . _ -`);
      if (k.key.byteLength !== KEY_BYTES) throw new PayloadCodecError(`key "${k.id}": must be ${KEY_BYTES} bytes, not ${k.key.byteLength}`);
      if (map.has(k.id)) throw new PayloadCodecError(`key "${k.id}" is listed twice`);
      map.set(k.id, Buffer.from(k.key));
    }
    const last = keys[keys.length - 1]!;
    this.#keys = map;
    this.#current = { id: last.id, key: map.get(last.id)! };
  }

  /** The id new payloads are encrypted under. */
  get currentKeyId(): string {
    return this.#current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.encryptOne(p));
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((p) => this.decryptOne(p));
  }

  private encryptOne(payload: Payload): Payload {
    const { id, key } = this.#current;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(id));
    const body = Buffer.concat([cipher.update(serialize(payload)), cipher.final()]);
    return {
      metadata: { encoding: enc.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: enc.encode(id) },
      data: new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()])),
    };
  }

  private decryptOne(payload: Payload): Payload {
    const encoding = payload.metadata?.encoding;
    // Payloads written before the codec was switched on stay readable.
    if (!encoding || dec.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
    const idBytes = payload.metadata?.[KEY_ID_METADATA];
    if (!idBytes) throw new PayloadCodecError('an encrypted payload has no key id');
    const id = dec.decode(idBytes);
    const key = this.#keys.get(id);
    if (!key) throw new PayloadCodecError(`a payload is encrypted with key "${id}", which is not configured`);
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.byteLength < IV_BYTES + TAG_BYTES) throw new PayloadCodecError(`an encrypted payload (key "${id}") is truncated`);
    const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
    decipher.setAAD(Buffer.from(id));
    decipher.setAuthTag(data.subarray(data.byteLength - TAG_BYTES));
    let plain: Buffer;
    try {
      plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.byteLength - TAG_BYTES)), decipher.final()]);
    } catch {
      throw new PayloadCodecError(`an encrypted payload (key "${id}") failed authentication: wrong key or altered data`);
    }
    return deserialize(plain);
  }
}

interface SerializedPayload {
  m: Record<string, string>;
  d?: string;
}

function serialize(p: Payload): Buffer {
  const m = Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]));
  const s: SerializedPayload = { m, ...(p.data ? { d: Buffer.from(p.data).toString('base64') } : {}) };
  return Buffer.from(JSON.stringify(s));
}

function deserialize(bytes: Buffer): Payload {
  const s = JSON.parse(bytes.toString('utf8')) as SerializedPayload;
  const metadata = Object.fromEntries(Object.entries(s.m ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))]));
  return { metadata, ...(s.d !== undefined ? { data: new Uint8Array(Buffer.from(s.d, 'base64')) } : {}) };
}
