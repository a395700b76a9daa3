/**
 * Service addresses through Consul (CONSUL_ADDRESS), re-resolved when a call cannot connect — not once at start-up
 * as the original did. The gRPC side is the real service stand-ins over loopback.
 *
 * The Consul agent here is a stand-in: a loopback HTTP server answering `GET /v1/health/service/<name>?passing=true`
 * with Consul's real response shape (an array of { Node, Service, Checks } entries; see
 * https://developer.hashicorp.com/consul/api-docs/health#list-service-instances-for-service). It implements
 * nothing else of Consul.
 */
import { afterAll, describe, expect, test } from 'bun:test';
import { createServer, type Server } from 'node:http';
import { Code, ConnectError } from '@connectrpc/connect';
import { classifyCallFailure } from '../../src/clients/grpc-failure';
import { createServiceClients, type ServiceClients } from '../../src/clients/service-clients';
import { loadConfig } from '../../src/config/config';
import { MediaType } from '../../src/gen/media/media_pb';
import { startServiceStandIns, type ServiceStandIns } from '../../dev/stand-ins/services';

const W = '33333333-3333-4333-8333-333333333333';
const TOKEN = 'consul-acl-token';

/** name → instances as (host, port); `host: ''` registers the service without an address (Consul: use the node's). */
const registry = new Map<string, Array<{ host: string; port: number }>>();
const queries: string[] = [];
let consul: Server;
const cleanup: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const c of cleanup.reverse()) await c();
});

function entry(name: string, host: string, port: number, i: number) {
  return {
    Node: { ID: `node-${i}`, Node: `node-${i}`, Address: '127.0.0.1', Datacenter: 'dc1', TaggedAddresses: { lan: '127.0.0.1', wan: '127.0.0.1' }, Meta: {} },
    Service: { ID: `${name}-${i}`, Service: name, Tags: [], Address: host, Meta: {}, Port: port, Weights: { Passing: 1, Warning: 1 }, EnableTagOverride: false },
    Checks: [
      { Node: `node-${i}`, CheckID: 'serfHealth', Name: 'Serf Health Status', Status: 'passing', ServiceID: '', ServiceName: '' },
      { Node: `node-${i}`, CheckID: `service:${name}-${i}`, Name: `Service '${name}' check`, Status: 'passing', ServiceID: `${name}-${i}`, ServiceName: name },
    ],
  };
}

async function startConsul(): Promise<string> {
  consul = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://consul');
    const m = /^\/v1\/health\/service\/([^/]+)$/.exec(url.pathname);
    if (!m || url.searchParams.get('passing') !== 'true') return void res.writeHead(404).end();
    if (req.headers['x-consul-token'] !== TOKEN) return void res.writeHead(403).end('ACL not found');
    const name = decodeURIComponent(m[1]!);
    queries.push(name);
    res.writeHead(200, { 'content-type': 'application/json', 'x-consul-index': String(queries.length) });
    res.end(JSON.stringify((registry.get(name) ?? []).map((a, i) => entry(name, a.host, a.port, i))));
  });
  await new Promise<void>((resolve) => consul.listen(0, '127.0.0.1', resolve));
  cleanup.push(() => new Promise((r) => consul.close(r)));
  return `127.0.0.1:${(consul.address() as { port: number }).port}`;
}

function register(standIns: ServiceStandIns, { noAddress = false } = {}) {
  const port = Number(new URL(standIns.url).port);
  for (const name of ['character-service', 'post-service', 'media-service', 'world-service']) {
    registry.set(name, [{ host: noAddress ? '' : '127.0.0.1', port }]);
  }
}

const presign = (clients: ServiceClients) =>
  clients.media.getPresignedUploadURL({ worldId: W, characterId: '', filename: 'generia_w.jpg', contentType: 'image/jpeg', mediaType: MediaType.WORLD_HEADER });

describe('service addresses through Consul', () => {
  test('resolved by the service name of each *_SERVICE_URL, and again after the service moved', async () => {
    const consulAddress = await startConsul();
    const first = await startServiceStandIns();
    register(first, { noAddress: true });
    // The platform's configuration: CONSUL_ADDRESS and no service URLs (the defaults name the services).
    const config = loadConfig({ OPENROUTER_API_KEY: 'k', RUNWARE_API_KEY: 'r', CONSUL_ADDRESS: consulAddress, CONSUL_HTTP_TOKEN: TOKEN, GRPC_DEADLINE_MS: '2000' });
    const clients = createServiceClients(config.services);
    cleanup.push(() => clients.close());

    expect((await presign(clients)).mediaId).not.toBe('');
    expect(queries).toEqual(['media-service']);
    await presign(clients); // cached: no second query within the TTL
    expect(queries).toEqual(['media-service']);

    // The service moves (a new container with a new address): Consul knows, the old address refuses connections.
    const second = await startServiceStandIns();
    cleanup.push(() => second.close());
    register(second);
    await first.close();
    const failed = await presign(clients).then(
      () => undefined,
      (e: unknown) => ConnectError.from(e),
    );
    expect(failed?.code).toBe(Code.Unavailable);
    // The next attempt (Temporal's retry) asks Consul again and reaches the new address.
    expect((await presign(clients)).mediaId).not.toBe('');
    expect(queries).toEqual(['media-service', 'media-service']);
  }, 30_000);

  test('no passing instance: UNAVAILABLE naming the service, classified as never sent', async () => {
    registry.set('post-service', []);
    const config = loadConfig({ OPENROUTER_API_KEY: 'k', RUNWARE_API_KEY: 'r', CONSUL_ADDRESS: `http://127.0.0.1:${(consul.address() as { port: number }).port}`, CONSUL_HTTP_TOKEN: TOKEN });
    const clients = createServiceClients(config.services);
    cleanup.push(() => clients.close());
    const err = await clients.post.getCharacterPosts({ characterId: 'c', limit: 1, offset: 0 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(ConnectError.from(err).code).toBe(Code.Unavailable);
    expect(String((err as Error).message)).toContain('post-service');
    expect(String((err as Error).message)).toContain('no passing instance');
    expect(classifyCallFailure(err)).toBe('not_sent');
  }, 30_000);
});
