/**
 * Service addresses through Consul, as the platform's compose file configures the worker (`CONSUL_ADDRESS` and no
 * service URLs; reference spec section 13). Unlike the original — which resolved once at start-up and kept the
 * channel forever — an address is re-resolved whenever a call to it fails to connect, and at most every 30 s
 * otherwise, so a service that moves (a restarted container with a new IP, a rescheduled pod) is found again
 * without restarting the worker.
 *
 * Consul's API: `GET /v1/health/service/<name>?passing=true` returns the instances whose health checks pass, each
 * `{ Node: { Address }, Service: { Address, Port } }`; an empty `Service.Address` means the node's address
 * (Consul's documented rule; the original used the service name as host instead).
 */
import { Code, ConnectError, type Transport } from '@connectrpc/connect';

export interface ConsulResolverOptions {
  /** `host:port` or a URL (`http://consul:8500`). */
  address: string;
  /** ACL token sent as `X-Consul-Token`. */
  token?: string | undefined;
  /** How long resolved addresses are reused while calls succeed. @default 30000 (as the original's cache) */
  ttlMs?: number;
  /** Bound of one Consul request. @default 2000 */
  timeoutMs?: number;
}

export interface ServiceResolver {
  /** A base URL (`http://host:port`) of a passing instance of `service`. */
  resolve(service: string): Promise<string>;
  /** Drops an address that failed to connect; the next resolve asks Consul again once none is left. */
  forget(service: string, baseUrl: string): void;
}

interface ConsulHealthEntry {
  Node?: { Address?: string };
  Service?: { Address?: string; Port?: number };
}

export function consulBaseUrl(address: string): string {
  return (/^https?:\/\//i.test(address) ? address : `http://${address}`).replace(/\/+$/, '');
}

/**
 * A resolution failure is reported as UNAVAILABLE whose cause is a `getaddrinfo`/ENOTFOUND-shaped error: like a DNS
 * name that does not resolve, it provably sent nothing, so src/clients/grpc-failure.ts classifies it `not_sent` and
 * a creation may be retried without reconciling.
 */
function unresolved(service: string, why: string, cause?: unknown): ConnectError {
  const notFound = Object.assign(new Error(`${service}: ${why}`, cause === undefined ? {} : { cause }), {
    code: 'ENOTFOUND',
    syscall: 'getaddrinfo',
    hostname: service,
  });
  return new ConnectError(`cannot resolve ${service} through Consul: ${why}`, Code.Unavailable, undefined, undefined, notFound);
}

export function consulResolver(opts: ConsulResolverOptions): ServiceResolver {
  const base = consulBaseUrl(opts.address);
  const ttlMs = opts.ttlMs ?? 30_000;
  const timeoutMs = opts.timeoutMs ?? 2_000;
  const cache = new Map<string, { urls: string[]; at: number; next: number }>();
  const pending = new Map<string, Promise<string[]>>();

  async function query(service: string): Promise<string[]> {
    let entries: ConsulHealthEntry[];
    try {
      const res = await fetch(`${base}/v1/health/service/${encodeURIComponent(service)}?passing=true`, {
        headers: opts.token ? { 'x-consul-token': opts.token } : {},
        signal: AbortSignal.timeout(timeoutMs),
      });
      if (!res.ok) throw new Error(`Consul at ${base} answered HTTP ${res.status}`);
      entries = (await res.json()) as ConsulHealthEntry[];
    } catch (err) {
      throw unresolved(service, `Consul at ${base} (CONSUL_ADDRESS) did not answer: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    const urls = entries
      .map((e) => ({ host: e.Service?.Address || e.Node?.Address, port: e.Service?.Port }))
      .filter((a): a is { host: string; port: number } => !!a.host && typeof a.port === 'number')
      .map(({ host, port }) => `http://${host.includes(':') ? `[${host}]` : host}:${port}`);
    if (urls.length === 0) throw unresolved(service, `no passing instance registered in Consul at ${base}`);
    return urls;
  }

  return {
    async resolve(service) {
      const hit = cache.get(service);
      if (hit && hit.urls.length > 0 && Date.now() - hit.at < ttlMs) {
        // Spread calls over the passing instances.
        hit.next = (hit.next + 1) % hit.urls.length;
        return hit.urls[hit.next]!;
      }
      let inFlight = pending.get(service);
      if (!inFlight) {
        inFlight = query(service).finally(() => pending.delete(service));
        pending.set(service, inFlight);
      }
      const urls = await inFlight;
      cache.set(service, { urls: [...urls], at: Date.now(), next: 0 });
      return urls[0]!;
    },
    forget(service, baseUrl) {
      const hit = cache.get(service);
      if (hit) hit.urls = hit.urls.filter((u) => u !== baseUrl);
    },
  };
}

/**
 * A transport that asks the resolver for an address on every call and keeps one inner transport (one HTTP/2
 * connection) per address. A call that fails with UNAVAILABLE — the connection could not be opened or broke —
 * makes the resolver forget that address, so the retry Temporal schedules goes to a freshly resolved one.
 */
export function resolvingTransport(service: string, resolver: ServiceResolver, transportFor: (baseUrl: string) => Transport): Transport {
  const transports = new Map<string, Transport>();
  const pick = async () => {
    const url = await resolver.resolve(service);
    let t = transports.get(url);
    if (!t) transports.set(url, (t = transportFor(url)));
    return { url, t };
  };
  const onFailure = (url: string, err: unknown) => {
    if (ConnectError.from(err).code === Code.Unavailable) resolver.forget(service, url);
    throw err;
  };
  return {
    async unary(method, signal, timeoutMs, header, input, contextValues) {
      const { url, t } = await pick();
      return t.unary(method, signal, timeoutMs, header, input, contextValues).catch((err: unknown) => onFailure(url, err));
    },
    async stream(method, signal, timeoutMs, header, input, contextValues) {
      const { url, t } = await pick();
      return t.stream(method, signal, timeoutMs, header, input, contextValues).catch((err: unknown) => onFailure(url, err));
    },
  };
}

/** The Consul service name for a configured URL: its host (`http://character-service:8089` → `character-service`). */
export function serviceNameOf(url: string): string {
  return new URL(url).hostname;
}
