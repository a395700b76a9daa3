/**
 * A codec server for the Temporal Web UI (and `temporal --codec-endpoint`): `POST /decode` and `POST /encode` take
 * `{ "payloads": [ { "metadata": { "<key>": "<base64>" }, "data": "<base64>" } ] }` (Payload in proto3 JSON) and
 * answer the same shape, decoded or encoded with the project's payload codec. The UI calls it from the browser, so
 * it answers CORS preflights for the configured UI origins only; with an auth token configured every request must
 * carry `Authorization: Bearer <token>` (the UI sends the user's access token when "pass access token" is on).
 *
 * Plain `node:http` (no framework: two routes). Anyone who can reach it can read every payload, so it listens on
 * loopback by default; put it behind the same access control as the UI. docs/data-safety.md shows the set-up.
 * @module
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface CodecServerOptions {
  codec: PayloadCodec;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Browser origins allowed to call it, e.g. `http://localhost:8233` (the dev server's UI). Exact match. */
  allowedOrigins: readonly string[];
  /** When set, `Authorization: Bearer <authToken>` is required. Secret. */
  authToken?: string | undefined;
  /** Largest request body accepted. @default 4 MiB (Temporal's own payload limit is 2 MiB per blob by default) */
  maxBodyBytes?: number;
}

export interface CodecServer {
  url: string;
  close(): Promise<void>;
}

interface JsonPayload {
  metadata?: Record<string, string>;
  data?: string;
}

export async function startCodecServer(opts: CodecServerOptions): Promise<CodecServer> {
  const maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
  const token = opts.authToken ? Buffer.from(`Bearer ${opts.authToken}`) : undefined;

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      // The message may describe a payload; the caller learns only that decoding failed.
      if (!res.headersSent) send(res, 400, { error: 'could not process the payloads' });
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const origin = req.headers.origin;
    if (origin && opts.allowedOrigins.includes(origin)) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('access-control-allow-credentials', 'true');
      res.setHeader('vary', 'Origin');
    }
    const path = new URL(req.url ?? '/', 'http://codec').pathname.replace(/\/+$/, '');
    if (req.method === 'OPTIONS') {
      res.setHeader('access-control-allow-methods', 'POST, OPTIONS');
      res.setHeader('access-control-allow-headers', 'content-type, x-namespace, authorization');
      res.setHeader('access-control-max-age', '600');
      res.writeHead(origin && opts.allowedOrigins.includes(origin) ? 204 : 403).end();
      return;
    }
    if (req.method !== 'POST' || (path !== '/decode' && path !== '/encode')) {
      send(res, 404, { error: 'POST /decode or /encode' });
      return;
    }
    if (token) {
      const got = Buffer.from(req.headers.authorization ?? '');
      if (got.byteLength !== token.byteLength || !timingSafeEqual(got, token)) {
        send(res, 401, { error: 'unauthorized' });
        return;
      }
    }
    const body = await readBody(req, maxBody);
    if (body === null) {
      send(res, 413, { error: `request body over ${maxBody} bytes` });
      return;
    }
    let parsed: { payloads?: unknown };
    try {
      parsed = JSON.parse(body) as { payloads?: unknown };
    } catch {
      send(res, 400, { error: 'the body must be JSON: { "payloads": [...] }' });
      return;
    }
    if (!Array.isArray(parsed?.payloads)) {
      send(res, 400, { error: 'the body must be JSON: { "payloads": [...] }' });
      return;
    }
    const payloads = (parsed.payloads as JsonPayload[]).map(fromJson);
    const out = path === '/decode' ? await opts.codec.decode(payloads) : await opts.codec.encode(payloads);
    send(res, 200, { payloads: out.map(toJson) });
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, max: number): Promise<string | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > max) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

function fromJson(p: JsonPayload): Payload {
  const metadata = Object.fromEntries(Object.entries(p?.metadata ?? {}).map(([k, v]) => [k, b64(String(v))]));
  return { metadata, ...(typeof p?.data === 'string' ? { data: b64(p.data) } : {}) };
}

function toJson(p: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    ...(p.data ? { data: Buffer.from(p.data).toString('base64') } : {}),
  };
}
