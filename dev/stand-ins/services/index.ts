/**
 * In-memory stand-ins for character-, post-, media- and world-service, served
 * over real gRPC (h2c) on loopback, plus a plain HTTP server for presigned
 * uploads. For tests and the offline demo.
 *
 * @example
 * ```ts
 * const standIns = await startServiceStandIns();
 * const clients = createServiceClients({ characterUrl: standIns.url, postUrl: standIns.url,
 *   mediaUrl: standIns.url, worldUrl: standIns.url, deadlineMs: 2_000 });
 * standIns.faults.inject('CreateAIPost', { lostResponse: 'deadline' }); // commits, then the client's deadline passes
 * // ...
 * await clients.close();
 * await standIns.close();
 * ```
 */
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { toJson } from '@bufbuild/protobuf';
import type { DescMethod, DescService } from '@bufbuild/protobuf';
import { Code, ConnectError } from '@connectrpc/connect';
import type { ConnectRouter, HandlerContext } from '@connectrpc/connect';
import { connectNodeAdapter } from '@connectrpc/connect-node';
import { CharacterService } from '../../../src/gen/generia/character/character_pb';
import { MediaService } from '../../../src/gen/media/media_pb';
import { PostService } from '../../../src/gen/post/post_pb';
import { WorldService } from '../../../src/gen/world/world_pb';
import {
  IDEMPOTENCY_HEADER,
  characterImpl,
  clearState,
  createState,
  mediaImpl,
  postImpl,
  worldImpl,
  type CallMarks,
  type IdempotencyCache,
  type StandInState,
} from './handlers';

export type { StandInMedia, StandInPost, StandInState, StandInWorld } from './handlers';

/** gRPC status code names as used by the Go services. */
export type GrpcCodeName =
  | 'CANCELLED'
  | 'UNKNOWN'
  | 'INVALID_ARGUMENT'
  | 'DEADLINE_EXCEEDED'
  | 'NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'PERMISSION_DENIED'
  | 'RESOURCE_EXHAUSTED'
  | 'FAILED_PRECONDITION'
  | 'ABORTED'
  | 'OUT_OF_RANGE'
  | 'UNIMPLEMENTED'
  | 'INTERNAL'
  | 'UNAVAILABLE'
  | 'DATA_LOSS'
  | 'UNAUTHENTICATED';

const CODES: Record<GrpcCodeName, Code> = {
  CANCELLED: Code.Canceled,
  UNKNOWN: Code.Unknown,
  INVALID_ARGUMENT: Code.InvalidArgument,
  DEADLINE_EXCEEDED: Code.DeadlineExceeded,
  NOT_FOUND: Code.NotFound,
  ALREADY_EXISTS: Code.AlreadyExists,
  PERMISSION_DENIED: Code.PermissionDenied,
  RESOURCE_EXHAUSTED: Code.ResourceExhausted,
  FAILED_PRECONDITION: Code.FailedPrecondition,
  ABORTED: Code.Aborted,
  OUT_OF_RANGE: Code.OutOfRange,
  UNIMPLEMENTED: Code.Unimplemented,
  INTERNAL: Code.Internal,
  UNAVAILABLE: Code.Unavailable,
  DATA_LOSS: Code.DataLoss,
  UNAUTHENTICATED: Code.Unauthenticated,
};
const CODE_NAMES = new Map<Code, GrpcCodeName>(
  (Object.entries(CODES) as [GrpcCodeName, Code][]).map(([name, code]) => [code, name]),
);

/**
 * - `{ code }`: fail with that gRPC status without performing the effect.
 * - `{ lostResponse }`: perform the effect (it is committed), then lose the response:
 *    `true` / `'unavailable'`: answer UNAVAILABLE;
 *    `'deadline'`: answer nothing until the client's deadline has passed (the client sees DEADLINE_EXCEEDED);
 *    `'reset'`: reset this call's HTTP/2 stream (RST_STREAM, as a crashing server or proxy does);
 *    `'disconnect'`: drop the whole connection (every call in flight on it fails too).
 * - `{ lateCommitMs }`: a zombie: ignore the client hanging up, wait, then perform the effect anyway.
 * - `{ delayMs }`: wait, then behave normally (the client's deadline may expire first).
 * - `{ httpStatus }`: only for method `'Upload'` (the presigned PUT): answer that status without storing.
 * - For `'GetMediaURL'` (the call post-service makes per post inside GetCharacterPosts) any fault makes that
 *   post's `media_url` empty, as the Go service does when media-service fails.
 */
export type Fault =
  | { code: GrpcCodeName; message?: string }
  | { lostResponse: true | LostResponseKind }
  | { lateCommitMs: number }
  | { delayMs: number }
  | { httpStatus: number };

export type LostResponseKind = 'unavailable' | 'deadline' | 'reset' | 'disconnect';

export interface CallRecord {
  /** RPC name, e.g. 'CreateAIPost', or 'Upload' for the presigned PUT. */
  method: string;
  /** Request as protobuf JSON (for 'Upload': `{ mediaId, contentType, size }`). */
  request: unknown;
  idempotencyKey?: string;
  /** Date.now() when the call arrived. */
  at: number;
  /** Date.now() when the handler finished (answered or failed). */
  endedAt?: number;
  /**
   * 'ok', 'LOST_RESPONSE' (effect done, response lost in any of the `lostResponse` ways), 'LATE_COMMIT' (effect
   * done after the client gave up), a gRPC code name, or 'HTTP_<status>'.
   */
  outcome: 'ok' | string;
  /** True when an idempotency key replayed an earlier result (no new effect; only with `dedupeIdempotencyKeys`). */
  replayed?: boolean;
  /** `x-correlation-id` and `traceparent` metadata as sent (only recorded: the Go services read neither). */
  correlationId?: string;
  traceparent?: string;
}

export interface ServiceStandIns {
  /** h2c base URL serving all four services, e.g. http://127.0.0.1:PORT */
  url: string;
  /** Base URL of the presigned-upload HTTP server (PUT <uploadBaseUrl>/upload/<media_id>?token=...). */
  uploadBaseUrl: string;
  state: StandInState;
  calls: CallRecord[];
  faults: {
    /** Queue a fault for the next `times` calls (default 1) of `method` ('*' = any method). */
    inject(method: string, fault: Fault, times?: number): void;
    clear(): void;
  };
  /** Added latency before handling `method` ('*' = every method without its own setting); 0 removes it. */
  setLatency(method: string | '*', ms: number): void;
  /** Clears state, calls, faults, latency and idempotency records (object identities are kept). */
  reset(): void;
  close(): Promise<void>;
}

export interface StartServiceStandInsOptions {
  /** gRPC port; 0 / undefined = ephemeral. The upload server always uses an ephemeral port unless uploadPort is set. */
  port?: number;
  uploadPort?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /**
   * Replay the first response for a repeated `idempotency-key` on creation RPCs instead of creating again.
   * @default false — like every Go service, which reads no such header; switch it on only to show what a future
   * service that honours the key would do.
   */
  dedupeIdempotencyKeys?: boolean;
}

/** Request header the outer HTTP/2 handler sets so a handler can find its own stream (for the `reset` faults). */
const STREAM_HEADER = 'x-stand-in-stream';

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export async function startServiceStandIns(opts: StartServiceStandInsOptions = {}): Promise<ServiceStandIns> {
  const host = opts.host ?? '127.0.0.1';
  const state = createState();
  const calls: CallRecord[] = [];
  const idempotency: IdempotencyCache = new Map();
  const faultQueues = new Map<string, Fault[]>();
  const latency = new Map<string, number>();
  const marksByCtx = new WeakMap<HandlerContext, CallMarks>();
  const streams = new Map<string, http2.ServerHttp2Stream>();
  let streamSeq = 0;
  let postSeq = 0;
  let uploadBaseUrl = '';

  const takeFault = (method: string): Fault | undefined => {
    for (const key of [method, '*']) {
      const q = faultQueues.get(key);
      if (q && q.length > 0) return q.shift();
    }
    return undefined;
  };
  const latencyFor = (method: string): number => latency.get(method) ?? latency.get('*') ?? 0;

  const deps = {
    state,
    idempotency,
    dedupe: opts.dedupeIdempotencyKeys ?? false,
    // Only faults queued for that very method: a '*' fault is meant for the next RPC, not for an internal call.
    innerFault: (method: string) => (faultQueues.get(method)?.shift() ?? undefined) !== undefined,
    nextSeq: () => ++postSeq,
    uploadBaseUrl: () => uploadBaseUrl,
    marks: (ctx: HandlerContext): CallMarks => {
      let m = marksByCtx.get(ctx);
      if (!m) {
        m = { replayed: false };
        marksByCtx.set(ctx, m);
      }
      return m;
    },
  };

  type AnyHandler = (req: never, ctx: HandlerContext) => unknown;
  const register = (router: ConnectRouter, service: DescService, impl: Partial<Record<string, AnyHandler>>): void => {
    for (const method of service.methods) {
      const handler = impl[method.localName];
      router.rpc(method as DescMethod & { methodKind: 'unary' }, wrap(method, handler) as never);
    }
  };

  const wrap =
    (method: DescMethod, handler: AnyHandler | undefined) =>
    async (req: never, ctx: HandlerContext): Promise<unknown> => {
      const key = ctx.requestHeader.get(IDEMPOTENCY_HEADER) ?? undefined;
      const correlationId = ctx.requestHeader.get('x-correlation-id') ?? undefined;
      const traceparent = ctx.requestHeader.get('traceparent') ?? undefined;
      const record: CallRecord = {
        method: method.name,
        request: toJson(method.input, req as never),
        ...(key !== undefined ? { idempotencyKey: key } : {}),
        ...(correlationId !== undefined ? { correlationId } : {}),
        ...(traceparent !== undefined ? { traceparent } : {}),
        at: Date.now(),
        outcome: 'ok',
      };
      calls.push(record);
      try {
        const delay = latencyFor(method.name);
        if (delay > 0) await sleep(delay, ctx.signal);
        let fault = takeFault(method.name);
        while (fault && 'delayMs' in fault) {
          await sleep(fault.delayMs, ctx.signal);
          fault = takeFault(method.name);
        }
        if (fault && 'code' in fault) {
          throw new ConnectError(fault.message ?? `injected fault ${fault.code}`, CODES[fault.code]);
        }
        if (!handler) throw new ConnectError(`${method.name} is not implemented by the stand-in`, Code.Unimplemented);
        if (fault && 'lateCommitMs' in fault) {
          // The client's deadline (or its hang-up) does not stop this handler: it commits after the client gave up.
          await sleep(fault.lateCommitMs);
          await handler(req, ctx);
          record.outcome = 'LATE_COMMIT';
          throw new ConnectError('injected fault: committed after the client gave up', Code.DeadlineExceeded);
        }
        const res = await handler(req, ctx);
        if (marksByCtx.get(ctx)?.replayed) record.replayed = true;
        if (fault && 'lostResponse' in fault) {
          record.outcome = 'LOST_RESPONSE';
          await loseResponse(fault.lostResponse === true ? 'unavailable' : fault.lostResponse, ctx);
        }
        return res;
      } catch (e) {
        if (record.outcome === 'ok') {
          const err = ConnectError.from(e);
          record.outcome = ctx.signal.aborted && err.code === Code.Canceled ? 'CANCELLED' : (CODE_NAMES.get(err.code) ?? 'UNKNOWN');
        }
        throw e;
      } finally {
        record.endedAt = Date.now();
      }
    };

  /** Loses the response of a call whose effect is already committed; always throws. */
  const loseResponse = async (kind: LostResponseKind, ctx: HandlerContext): Promise<never> => {
    const streamId = ctx.requestHeader.get(STREAM_HEADER) ?? '';
    const stream = streams.get(streamId);
    switch (kind) {
      case 'unavailable':
        break;
      case 'deadline':
        // Hold the answer until the client's deadline has aborted the call (bounded, for calls without one).
        await sleep(120_000, ctx.signal).catch(() => {});
        throw new ConnectError('injected fault: response held past the deadline', Code.DeadlineExceeded);
      case 'reset':
        stream?.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        break;
      case 'disconnect':
        stream?.session?.destroy();
        break;
    }
    throw new ConnectError('injected fault: response lost after the effect', Code.Unavailable);
  };

  const adapter = connectNodeAdapter({
    routes: (router) => {
      register(router, CharacterService, characterImpl(deps) as never);
      register(router, PostService, postImpl(deps) as never);
      register(router, MediaService, mediaImpl(deps) as never);
      register(router, WorldService, worldImpl(deps) as never);
    },
  });
  const grpcServer = http2.createServer((req, res) => {
    const id = String(++streamSeq);
    streams.set(id, req.stream);
    req.stream.once('close', () => streams.delete(id));
    // A reset stream errors on the server side too; that is the point of the fault, not a crash.
    req.stream.on('error', () => {});
    req.headers[STREAM_HEADER] = id;
    adapter(req, res);
  });
  const sessions = new Set<http2.ServerHttp2Session>();
  grpcServer.on('session', (s) => {
    sessions.add(s);
    s.on('close', () => sessions.delete(s));
  });

  const uploadServer = http.createServer((req, res) => {
    void handleUpload(req, res);
  });
  const handleUpload = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    const match = /^\/upload\/([^/]+)$/.exec(url.pathname);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = new Uint8Array(Buffer.concat(chunks));
    const contentType = req.headers['content-type'] ?? '';
    const mediaId = match?.[1] ? decodeURIComponent(match[1]) : '';
    const record: CallRecord = {
      method: 'Upload',
      request: { mediaId, contentType, size: body.length },
      at: Date.now(),
      outcome: 'ok',
    };
    calls.push(record);
    const reply = (status: number, text: string): void => {
      if (status >= 300) record.outcome = `HTTP_${status}`;
      record.endedAt = Date.now();
      res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
    };
    const delay = latencyFor('Upload');
    if (delay > 0) await sleep(delay);
    let fault = takeFault('Upload');
    while (fault && 'delayMs' in fault) {
      await sleep(fault.delayMs);
      fault = takeFault('Upload');
    }
    if (fault && 'httpStatus' in fault) return reply(fault.httpStatus, 'injected fault');
    if (!match) return reply(404, 'not found');
    if (req.method !== 'PUT') return reply(405, 'method not allowed');
    const media = state.media.get(mediaId);
    if (!media) return reply(404, 'no such media');
    if (url.searchParams.get('token') !== media.uploadToken) return reply(403, 'bad signature');
    if (Date.now() / 1000 > media.expiresAt) return reply(403, 'expired');
    media.bytes = body;
    media.uploadedContentType = contentType;
    reply(200, '');
  };

  const listen = (server: http.Server | http2.Http2Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });

  const grpcPort = await listen(grpcServer, opts.port ?? 0);
  const uploadPort = await listen(uploadServer, opts.uploadPort ?? 0);
  const hostForUrl = host.includes(':') ? `[${host}]` : host;
  uploadBaseUrl = `http://${hostForUrl}:${uploadPort}`;

  let closed: Promise<void> | undefined;
  return {
    url: `http://${hostForUrl}:${grpcPort}`,
    uploadBaseUrl,
    state,
    calls,
    faults: {
      inject(method, fault, times = 1) {
        const q = faultQueues.get(method) ?? [];
        for (let i = 0; i < times; i++) q.push(fault);
        faultQueues.set(method, q);
      },
      clear() {
        faultQueues.clear();
      },
    },
    setLatency(method, ms) {
      if (ms > 0) latency.set(method, ms);
      else latency.delete(method);
    },
    reset() {
      clearState(state);
      calls.length = 0;
      idempotency.clear();
      faultQueues.clear();
      latency.clear();
    },
    close() {
      closed ??= (async () => {
        const grpcClosed = new Promise<void>((r) => grpcServer.close(() => r()));
        for (const s of sessions) s.destroy();
        const uploadClosed = new Promise<void>((r) => uploadServer.close(() => r()));
        uploadServer.closeAllConnections();
        await Promise.all([grpcClosed, uploadClosed]);
      })();
      return closed;
    },
  };
}
