/**
 * Readiness of the worker's dependencies, for `GET /readyz`: a worker whose MongoDB or Temporal is unreachable is
 * alive (it reconnects by itself, so restarting it would not help — `/healthz` stays 200) but not ready, and says
 * which dependency is missing. Each probe goes through the very client the activities and pollers use, so a broken
 * pool or channel shows up even when the server itself is fine, and is bounded by a short timeout.
 */

export interface DependencyState {
  ok: boolean;
  /** Why not, when `ok` is false: the probe's error message (never a URI or a secret). */
  error?: string;
  /** When this state was measured (ISO-8601). */
  checked_at: string;
}

export type DependencyProbe = () => Promise<void>;

export interface Readiness {
  /** Probes every dependency (at most one probe per dependency in flight) and reports each. */
  check(): Promise<Record<string, DependencyState>>;
}

/**
 * Concurrent readiness requests share one in-flight probe per dependency, so a probe storm cannot pile requests on
 * a single-connection pool.
 */
export function createReadiness(probes: Record<string, DependencyProbe>, timeoutMs: number): Readiness {
  const inFlight = new Map<string, Promise<DependencyState>>();
  const probeOnce = (name: string, probe: DependencyProbe): Promise<DependencyState> => {
    let p = inFlight.get(name);
    if (!p) {
      p = bounded(probe, timeoutMs)
        .then(
          (): DependencyState => ({ ok: true, checked_at: new Date().toISOString() }),
          (err: unknown): DependencyState => ({ ok: false, error: messageOf(err), checked_at: new Date().toISOString() }),
        )
        .finally(() => inFlight.delete(name));
      inFlight.set(name, p);
    }
    return p;
  };
  return {
    async check() {
      const entries = await Promise.all(Object.entries(probes).map(async ([name, probe]) => [name, await probeOnce(name, probe)] as const));
      return Object.fromEntries(entries);
    },
  };
}

async function bounded(probe: DependencyProbe, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function messageOf(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  // Driver messages can quote a connection string; keep only what names the failure.
  return text.replace(/mongodb(\+srv)?:\/\/\S+/gi, 'mongodb://…').slice(0, 300);
}
