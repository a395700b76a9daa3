/**
 * The deployment files parse and agree with the configuration declarations: every variable they set is declared
 * (so a typo in a manifest fails here, not silently in production), the values they set load, every role is
 * deployed, probes hit /healthz and /readyz, and the grace periods outlast SHUTDOWN_GRACE_MS.
 */
import { describe, expect, test } from 'bun:test';
import { readdirSync, readFileSync } from 'node:fs';
import { parse, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/config';
import { SECTIONS, VARIABLES } from '../../src/config/registry';
import { WORKER_ROLES } from '../../src/domain/task-queues';
import { WORKER_NODE_FLAGS, WORKER_PROCESS_ENV } from '../../src/worker/process-flags';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const DECLARED = new Set(VARIABLES.map((v) => v.name));
const PASS_THROUGH = SECTIONS.flatMap((s) => s.passThroughPrefixes);
const declared = (name: string) => DECLARED.has(name) || PASS_THROUGH.some((p) => name.startsWith(p));
const DEFAULT_GRACE_MS = Number(VARIABLES.find((v) => v.name === 'SHUTDOWN_GRACE_MS')!.default);
const secrets = Object.fromEntries(VARIABLES.filter((v) => v.required).map((v) => [v.name, 'test-value']));

type Env = Record<string, string>;
interface ComposeService {
  build?: unknown;
  image?: string;
  environment?: Env;
  deploy?: { replicas?: number };
  stop_grace_period?: string;
}

const seconds = (d: string) => {
  const m = /^(\d+)(s|m)$/.exec(d);
  if (!m) throw new Error(`unexpected duration ${d}`);
  return Number(m[1]) * (m[2] === 'm' ? 60 : 1);
};

/** Compose interpolation `${NAME:?message}` / `${NAME}` → the value the operator's .env would give. */
const interpolate = (env: Env): Env =>
  Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v).replace(/\$\{([A-Z_]+)(:\?[^}]*)?\}/g, (_m, n: string) => secrets[n] ?? 'x')]));

describe('deploy/compose.yaml', () => {
  const compose = parse(read('deploy/compose.yaml'), { merge: true }) as { services: Record<string, ComposeService> };
  const workers = Object.entries(compose.services).filter(([, s]) => s.image?.startsWith('generia-ai-worker'));

  test('the worker runs split by role with replicas, next to Temporal (PostgreSQL, Web UI) and MongoDB', () => {
    expect(Object.keys(compose.services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'mongodb']));
    const roles = workers.map(([, s]) => s.environment!.WORKER_ROLES).sort();
    expect(roles).toEqual([...WORKER_ROLES].sort());
    expect(workers.some(([, s]) => (s.deploy?.replicas ?? 1) > 1)).toBe(true);
  });

  test('every variable set on a worker is declared, and the set loads', () => {
    for (const [name, service] of workers) {
      const env = interpolate(service.environment ?? {});
      for (const key of Object.keys(env)) expect({ service: name, key, declared: declared(key) }).toEqual({ service: name, key, declared: true });
      const config = loadConfig(env);
      expect(service.stop_grace_period && seconds(service.stop_grace_period) * 1000).toBeGreaterThan(config.worker.shutdownGraceMs);
    }
  });
});

describe('deploy/k8s', () => {
  const docs = readdirSync(new URL('deploy/k8s/', root))
    .filter((f) => f.endsWith('.yaml'))
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- manifests are untyped YAML, read field by field below
    .flatMap((f) => parseAllDocuments(read(`deploy/k8s/${f}`)).map((d) => ({ file: f, doc: d.toJS() as Record<string, any> })));
  const byKind = (kind: string) => docs.filter((d) => d.doc.kind === kind).map((d) => d.doc);
  const configMap = byKind('ConfigMap')[0]!.data as Env;
  const secret = byKind('Secret')[0]!.stringData as Env;

  test('ConfigMap and Secret keys are declared variables, and together they load', () => {
    for (const key of [...Object.keys(configMap), ...Object.keys(secret)]) expect({ key, declared: declared(key) }).toEqual({ key, declared: true });
    expect(() => loadConfig({ ...configMap, ...secret })).not.toThrow();
  });

  test('one Deployment per role with probes, requests, a grace period above the drain time; the HPA targets one', () => {
    const deployments = byKind('Deployment');
    const graceMs = Number(configMap.SHUTDOWN_GRACE_MS ?? DEFAULT_GRACE_MS);
    const roles: string[] = [];
    for (const d of deployments) {
      const pod = d.spec.template.spec;
      const [c] = pod.containers;
      const env = Object.fromEntries((c.env ?? []).map((e: { name: string; value: string }) => [e.name, e.value])) as Env;
      for (const key of Object.keys(env)) expect({ deployment: d.metadata.name, key, declared: declared(key) }).toEqual({ deployment: d.metadata.name, key, declared: true });
      expect(() => loadConfig({ ...configMap, ...secret, ...env })).not.toThrow();
      roles.push(env.WORKER_ROLES!);
      expect(c.livenessProbe.httpGet.path).toBe('/healthz');
      expect(c.readinessProbe.httpGet.path).toBe('/readyz');
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(graceMs);
      expect(c.ports[0].containerPort).toBe(Number(configMap.HEALTH_PORT));
    }
    expect(roles.sort()).toEqual([...WORKER_ROLES].sort());
    const hpa = byKind('HorizontalPodAutoscaler')[0]!;
    expect(deployments.map((d) => d.metadata.name)).toContain(hpa.spec.scaleTargetRef.name);
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  test('pinned base, a default health port that is exposed and checked', () => {
    const base = /^ARG NODE_IMAGE=(\S+)$/m.exec(dockerfile)![1]!;
    expect(base).toMatch(/^node:\d+\.\d+\.\d+-/);
    const port = /^ENV HEALTH_PORT=(\d+)$/m.exec(dockerfile)![1];
    expect(dockerfile).toContain(`EXPOSE ${port}`);
    expect(dockerfile).toMatch(/^HEALTHCHECK .*\\\n.*\/healthz/m);
    expect(declared('HEALTH_PORT')).toBe(true);
  });
});

// The bench and the tests start the worker with src/worker/process-flags.ts (test/support/world-harness.ts): the image
// and `bun run worker` must start it the same way, or the bench measures a process production does not run.
describe('how the worker process is started', () => {
  test('the Dockerfile runs node with the worker flags and sets the process environment', () => {
    const dockerfile = read('Dockerfile');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]!) as string[];
    expect(cmd).toEqual(['node', ...WORKER_NODE_FLAGS, 'dist/worker.js']);
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    for (const [name, value] of Object.entries(WORKER_PROCESS_ENV)) expect(runtime).toMatch(new RegExp(`^ENV ${name}=${value}$`, 'm'));
  });

  test("package.json's worker script does the same", () => {
    const pkg = JSON.parse(read('package.json')) as { scripts: Record<string, string> };
    const env = Object.entries(WORKER_PROCESS_ENV).map(([name, value]) => `${name}=${value}`);
    expect(pkg.scripts.worker).toEndWith([...env, 'node', ...WORKER_NODE_FLAGS, 'dist/worker.js'].join(' '));
  });
});
