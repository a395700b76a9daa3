/**
 * The AES-256-GCM payload codec (keys, rotation, tampering) and the codec server the Temporal Web UI calls, over
 * loopback with real encoded payloads.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { randomBytes } from 'node:crypto';
import { parseCodecKeys } from '../../src/codec/codec-keys';
import { startCodecServer, type CodecServer } from '../../src/codec/codec-server';
import { dataConverterFromEnv } from '../../src/codec/data-converter';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA } from '../../src/codec/encryption-codec';

const k1 = { id: 'k2026-01', key: new Uint8Array(randomBytes(32)) };
const k2 = { id: 'k2026-02', key: new Uint8Array(randomBytes(32)) };
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const text = (b: Uint8Array | null | undefined) => new TextDecoder().decode(b ?? new Uint8Array());
const PROMPT = 'A lighthouse city where the tides keep the calendar';
const plain = (): Payload => defaultPayloadConverter.toPayload({ world_prompt: PROMPT, n: 3 })!;

describe('AesGcmPayloadCodec', () => {
  test('encrypts under the newest key: metadata names the key, no plaintext in the bytes, decodes to the original', async () => {
    const codec = new AesGcmPayloadCodec([k1, k2]);
    const [encoded] = await codec.encode([plain()]);
    expect(text(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encoded!.metadata![KEY_ID_METADATA])).toBe('k2026-02');
    expect(Buffer.from(encoded!.data!).toString('latin1')).not.toContain('lighthouse');
    expect(Object.keys(encoded!.metadata!)).toEqual(['encoding', KEY_ID_METADATA]);
    const [decoded] = await codec.decode([encoded!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ world_prompt: PROMPT, n: 3 });
    expect(text(decoded!.metadata!.encoding)).toBe('json/plain');
  });

  test('rotation: a payload written under the old key still decrypts once a new key is added; new ones use the new key', async () => {
    const [old] = await new AesGcmPayloadCodec([k1]).encode([plain()]);
    const rotated = new AesGcmPayloadCodec([k1, k2]);
    expect(defaultPayloadConverter.fromPayload((await rotated.decode([old!]))[0]!)).toEqual({ world_prompt: PROMPT, n: 3 });
    const [fresh] = await rotated.encode([plain()]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe(k2.id);
    // Dropping the old key too early is an error naming the key id, never showing key material.
    const err = await new AesGcmPayloadCodec([k2]).decode([old!]).catch((e: Error) => e);
    expect((err as Error).message).toContain('"k2026-01", which is not configured');
    expect((err as Error).message).not.toContain(b64(k1.key));
  });

  test('a payload relabelled with another key id, or altered, fails authentication', async () => {
    const codec = new AesGcmPayloadCodec([k1, k2]);
    const [encoded] = await codec.encode([plain()]);
    const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, [KEY_ID_METADATA]: new TextEncoder().encode(k1.id) } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/failed authentication/);
    const altered = new Uint8Array(encoded!.data!);
    altered[20] = altered[20]! ^ 1;
    await expect(codec.decode([{ ...encoded!, data: altered }])).rejects.toThrow(/failed authentication/);
  });

  test('payloads that were never encrypted pass through decode (histories from before the codec was on)', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const p = plain();
    expect(await codec.decode([p])).toEqual([p]);
  });

  test('keys from configuration: bad entries are named by id or position, never echoed', () => {
    expect(parseCodecKeys(`${k1.id}:${b64(k1.key)}, ${k2.id}:${b64(k2.key)}`).map((k) => k.id)).toEqual([k1.id, k2.id]);
    const short = 'c2hvcnQta2V5';
    const cases = [`${k1.id}:${short}`, `nocolon${b64(k1.key)}`, `${k1.id}:${b64(k1.key)},${k1.id}:${b64(k2.key)}`];
    for (const c of cases) {
      let message = '';
      try {
        new AesGcmPayloadCodec(parseCodecKeys(c));
      } catch (e) {
        message = (e as Error).message;
      }
      expect(message).not.toBe('');
      for (const secret of [short, b64(k1.key), b64(k2.key)]) expect(message).not.toContain(secret);
    }
    expect(dataConverterFromEnv({})).toBeUndefined();
    expect(dataConverterFromEnv({ PAYLOAD_CODEC_KEYS: `${k1.id}:${b64(k1.key)}` })?.payloadCodecs).toHaveLength(1);
  });
});

describe('codec server', () => {
  const UI = 'http://localhost:8233';
  let server: CodecServer;
  let guarded: CodecServer;
  beforeAll(async () => {
    const codec = new AesGcmPayloadCodec([k1, k2]);
    server = await startCodecServer({ codec, allowedOrigins: [UI] });
    guarded = await startCodecServer({ codec, allowedOrigins: [UI], authToken: 'ui-token-123' });
  });
  afterAll(async () => {
    await Promise.all([server?.close(), guarded?.close()]);
  });

  const toJson = (p: Payload) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  });
  const post = (base: string, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', origin: UI, 'x-namespace': 'default', ...headers }, body: JSON.stringify(body) });

  test('/decode turns a payload encoded under the old key into the plain JSON payload the UI shows, with CORS for the UI', async () => {
    const [encoded] = await new AesGcmPayloadCodec([k1]).encode([plain()]);
    const res = await post(server.url, '/decode', { payloads: [toJson(encoded!)] });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const { payloads } = (await res.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
    expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString())).toEqual({ world_prompt: PROMPT, n: 3 });
  });

  test('/encode then /decode round-trips; the preflight answers the UI origin only', async () => {
    const enc = (await (await post(server.url, '/encode', { payloads: [toJson(plain())] })).json()) as { payloads: { metadata: Record<string, string> }[] };
    expect(Buffer.from(enc.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe(ENCRYPTED_ENCODING);
    const dec = (await (await post(server.url, '/decode', enc)).json()) as { payloads: { data: string }[] };
    expect(Buffer.from(dec.payloads[0]!.data, 'base64').toString()).toContain(PROMPT);

    const ok = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: UI, 'access-control-request-method': 'POST' } });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI);
    expect(ok.headers.get('access-control-allow-headers')).toContain('x-namespace');
    const other = await fetch(`${server.url}/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('with an auth token: refused without it, served with it; bad bodies are 400 without echoing payloads', async () => {
    const [encoded] = await new AesGcmPayloadCodec([k2]).encode([plain()]);
    expect((await post(guarded.url, '/decode', { payloads: [toJson(encoded!)] })).status).toBe(401);
    expect((await post(guarded.url, '/decode', { payloads: [toJson(encoded!)] }, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(guarded.url, '/decode', { payloads: [toJson(encoded!)] }, { authorization: 'Bearer ui-token-123' })).status).toBe(200);
    expect((await post(server.url, '/decode', { nope: 1 })).status).toBe(400);
    const tampered = toJson(encoded!);
    tampered.data = Buffer.from(randomBytes(64)).toString('base64');
    const bad = await post(server.url, '/decode', { payloads: [tampered] });
    expect(bad.status).toBe(400);
    expect(await bad.text()).not.toContain(tampered.data);
  });
});
