/**
 * Connect-ES gRPC clients for the four Generia services the worker calls
 * (character-, post-, media- and world-service; reference spec section 9).
 *
 * One HTTP/2 (h2c) transport per service, built once at start-up and shared by
 * every activity. Each transport owns an explicit {@link Http2SessionManager}
 * so {@link ServiceClients.close} can tear the connections down on shutdown.
 *
 * @example
 * ```ts
 * const clients = createServiceClients({
 *   characterUrl: 'http://127.0.0.1:50051',
 *   postUrl: 'http://127.0.0.1:50052',
 *   mediaUrl: 'http://127.0.0.1:50053',
 *   worldUrl: 'http://127.0.0.1:50054',
 *   deadlineMs: 10_000,
 * });
 * const character = await clients.character.createCharacter(
 *   { worldId, displayName, meta },
 *   idempotencyHeaders(`${workflowId}/create-character/${index}`),
 * );
 * await clients.close();
 * ```
 */
import { createClient } from '@connectrpc/connect';
import type { CallOptions, Client, Interceptor } from '@connectrpc/connect';
import { createGrpcTransport, Http2SessionManager } from '@connectrpc/connect-node';
import type { Http2SessionOptions } from '@connectrpc/connect-node';
import { CharacterService } from '../gen/generia/character/character_pb';
import { MediaService } from '../gen/media/media_pb';
import { PostService } from '../gen/post/post_pb';
import { WorldService } from '../gen/world/world_pb';
import { consulResolver, resolvingTransport, serviceNameOf } from './service-resolver';

/** Header carrying the caller's idempotency key on creation RPCs. */
export const IDEMPOTENCY_HEADER = 'idempotency-key';

export interface ServiceClientsOptions {
  /** Base URL of character-service, e.g. `http://character-service:50051` (h2c). */
  characterUrl: string;
  /** Base URL of post-service (h2c). */
  postUrl: string;
  /** Base URL of media-service (h2c). */
  mediaUrl: string;
  /** Base URL of world-service (h2c). */
  worldUrl: string;
  /**
   * Deadline applied to every call (gRPC `grpc-timeout`) unless the call passes
   * its own `timeoutMs`. The reference had no deadlines, so a hung service
   * blocked a worker slot until the activity timed out; this bounds each attempt.
   */
  deadlineMs: number;
  /**
   * Consul agent (`consul:8500`): when set, each service's address is resolved through Consul by the host of its
   * URL (`character-service`, …) and re-resolved when a call cannot connect (see service-resolver.ts).
   */
  consulAddress?: string | undefined;
  /** Consul ACL token. */
  consulToken?: string | undefined;
  /** Interceptors applied to every call on every transport (onion order: last applied first). */
  interceptors?: Interceptor[];
  /**
   * HTTP/2 keep-alive settings per connection.
   * @default connect-node defaults (no pings, 15 min idle timeout)
   */
  http2?: Http2SessionOptions;
}

export interface ServiceClients {
  character: Client<typeof CharacterService>;
  post: Client<typeof PostService>;
  media: Client<typeof MediaService>;
  world: Client<typeof WorldService>;
  /**
   * Closes the four HTTP/2 connections. Open HTTP/2 sessions keep the Node event
   * loop alive and the server side busy, so call this on worker shutdown after
   * the workers have drained; calls still in flight are cancelled.
   * Idempotent. A call made after close() transparently opens a new connection.
   */
  close(): Promise<void>;
}

/** Call options that send `idempotency-key: <key>`; merge with other options as needed. */
export function idempotencyHeaders(key: string): CallOptions & { headers: Record<string, string> } {
  return { headers: { [IDEMPOTENCY_HEADER]: key } };
}

/** Builds one gRPC (HTTP/2) transport and client per service. */
export function createServiceClients(opts: ServiceClientsOptions): ServiceClients {
  if (!Number.isFinite(opts.deadlineMs) || opts.deadlineMs <= 0) {
    throw new Error(`createServiceClients: deadlineMs must be a positive number, got ${opts.deadlineMs}`);
  }
  const managers: Http2SessionManager[] = [];
  const direct = (baseUrl: string) => {
    const sessionManager = new Http2SessionManager(baseUrl, opts.http2);
    managers.push(sessionManager);
    return createGrpcTransport({
      baseUrl,
      sessionManager,
      defaultTimeoutMs: opts.deadlineMs,
      interceptors: opts.interceptors ?? [],
    });
  };
  const resolver = opts.consulAddress ? consulResolver({ address: opts.consulAddress, token: opts.consulToken }) : undefined;
  const transportFor = (url: string) => (resolver ? resolvingTransport(serviceNameOf(url), resolver, direct) : direct(url));
  return {
    character: createClient(CharacterService, transportFor(opts.characterUrl)),
    post: createClient(PostService, transportFor(opts.postUrl)),
    media: createClient(MediaService, transportFor(opts.mediaUrl)),
    world: createClient(WorldService, transportFor(opts.worldUrl)),
    close: async () => {
      for (const m of managers) m.abort();
    },
  };
}
