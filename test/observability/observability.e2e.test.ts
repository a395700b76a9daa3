/**
 * One world through the real worker (production build, Node 24) with tracing on, checking the operator's view:
 * JSON-only stdout with the world's milestones and ids, /metrics with the SDK's and our metrics matching what the
 * stand-ins served, gRPC calls in api_requests_history, one trace from the client's start to the LLM call, and
 * /readyz 503 while /healthz stays 200 during a drain.
 *
 * The harness's own worker is stopped first and this file runs its own process from the same build, so its stdout
 * can be read apart from stderr and every call of the world goes through this one process.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { context, propagation, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Client, Connection } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { bundleWorkflows, WORKFLOWS_ENTRY } from '../../scripts/build';
import { freePort } from '../../dev/stack/readiness';
import { createClientTracing, type ClientTracing } from '../../src/observability/client-tracing';
import { tracedBundlePath } from '../../src/observability/workflow-modules';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';
import { harnessEnv, workerPathOf } from '../worker/worker-process';
import { startOtlpReceiver, type OtlpReceiver } from './otlp-receiver';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const NODE = join(REPO_ROOT, 'node_modules/.bin/node');

let h: WorldHarness;
let receiver: OtlpReceiver;
let clientTracing: ClientTracing;
let connection: Connection;
let client: Client;
let worker: ChildProcess;
let stdout = '';
let stderr = '';
let base = '';
let exited: Promise<number | null>;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const stack = await getStack();
  h = await startWorldHarness();
  h.signal('SIGTERM');
  // The traced bundle beside the harness's plain one, as `bun run build` writes it: the worker must pick it itself.
  writeFileSync(tracedBundlePath(h.workflowBundlePath), await bundleWorkflows(WORKFLOWS_ENTRY, true));
  await h.exited;

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  worker = spawn(NODE, [workerPathOf(h)], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...harnessEnv(h, stack), HEALTH_PORT: String(port), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, SHUTDOWN_GRACE_MS: '15000', LOG_LEVEL: 'info' },
  });
  exited = new Promise((r) => worker.once('exit', (code) => r(code)));
  worker.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
  worker.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const deadline = Date.now() + 90_000;
  while (!stdout.includes('"message":"worker ready"')) {
    if (worker.exitCode !== null || Date.now() > deadline) throw new Error(`worker not ready:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`);
    await Bun.sleep(100);
  }

  clientTracing = createClientTracing({ exporter: new OTLPTraceExporter({ url: `${receiver.url}/v1/traces` }), serviceName: 'test-client' });
  connection = await Connection.connect({ address: stack.temporalAddress });
  client = new Client({ connection, namespace: 'default', interceptors: clientTracing.interceptors });
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  if (worker && worker.exitCode === null) {
    worker.kill('SIGKILL');
    await exited;
  }
  await clientTracing?.shutdown();
  // The client registered a global tracer provider, context manager and propagator: leave none to later files.
  trace.disable();
  context.disable();
  propagation.disable();
  await connection?.close();
  await h?.stop();
  await receiver?.close();
});

const start = (worldId: string, characters: number, posts: number) =>
  client.workflow.start('InitWorldCreationWorkflow', {
    workflowId: `init-world-${worldId}`,
    taskQueue: 'ai-worker-main',
    args: [{ world_id: worldId, world_name: 'Observed', world_prompt: 'A lighthouse town run by cats', characters_count: characters, posts_count: posts }],
    workflowExecutionTimeout: '30 minutes',
  });

/** `name{labels} value` lines of the Prometheus text, summed over the lines whose labels include `match`. */
function sum(text: string, name: string, match: Record<string, string> = {}): number {
  let total = 0;
  let seen = false;
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!m || m[1] !== name) continue;
    const labels = Object.fromEntries([...(m[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((l) => [l[1], l[2]]));
    if (Object.entries(match).every(([k, v]) => labels[k] === v)) {
      total += Number(m[3]);
      seen = true;
    }
  }
  return seen ? total : Number.NaN;
}

test(
  'a world seen through logs, /metrics, traces and the audit trail; probes during a drain',
  async () => {
    const worldId = randomUUID();
    await start(worldId, 2, 2);

    // During the world: /metrics already shows the SDK's metrics and our first LLM calls.
    let during = '';
    for (let i = 0; i < 300 && !(sum(during, 'generia_provider_calls_total', { provider: 'llm' }) >= 1); i++) {
      await Bun.sleep(100);
      during = await (await fetch(`${base}/metrics`)).text();
    }
    expect(sum(during, 'generia_provider_calls_total', { provider: 'llm' })).toBeGreaterThanOrEqual(1);
    expect(sum(during, 'generia_worlds_started_total')).toBe(1);

    const doc = await h.waitForWorld(worldId, 180_000);
    expect(doc.status).toBe('completed');

    // After: every count matches what the stand-ins served and what the status document says.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(sum(metrics, 'generia_provider_calls_total', { provider: 'llm' })).toBe(h.llm.requests.length);
    expect(sum(metrics, 'generia_provider_calls_total', { provider: 'image' })).toBe(h.images.requests.length);
    expect(sum(metrics, 'generia_provider_tokens_total', { kind: 'prompt' })).toBe(doc.llm_prompt_tokens);
    expect(sum(metrics, 'generia_provider_cost_usd_total', { provider: 'llm' })).toBeCloseTo(doc.llm_cost_total, 6);
    expect(sum(metrics, 'generia_grpc_client_duration_seconds_count', { method: 'CreateCharacter', code: 'OK' })).toBe(2);
    expect(sum(metrics, 'generia_worlds_finished_total', { status: 'completed' })).toBe(1);
    expect(sum(metrics, 'generia_world_duration_seconds_count', { status: 'completed' })).toBe(1);
    // The SDK's runtime metrics, served through the same endpoint.
    expect(sum(metrics, 'temporal_workflow_task_execution_latency_count')).toBeGreaterThan(0);
    expect(sum(metrics, 'temporal_activity_execution_latency_count')).toBeGreaterThan(0);
    expect(metrics).toMatch(/^temporal_worker_task_slots_available\{/m);

    // gRPC calls are audited like provider calls.
    const grpcRows = await h.db.collection('api_requests_history').find({ world_id: worldId, api_type: 'grpc' }).toArray();
    expect(grpcRows.filter((r) => r.request_type === 'grpc_CreateCharacter')).toHaveLength(2);
    expect(grpcRows.filter((r) => r.request_type === 'grpc_CreateAIPost')).toHaveLength(doc.posts_created);
    expect(grpcRows.every((r) => r.response_data?.code === 'OK' && typeof r.task_id === 'string' && r.task_id.startsWith(worldId))).toBe(true);

    // One trace from the client's start to an outgoing LLM request.
    await clientTracing.shutdown();
    let linked: string | undefined;
    // The worker exports spans in batches, so the trace's spans arrive over a few exports: wait for the ones checked
    // below, not only the first LLM call (CI once saw the CreateCharacter span arrive after the check).
    const complete = (traceId: string) => {
      const names = receiver.spans.filter((s) => s.traceId === traceId).map((s) => s.name);
      return names.includes('RunWorkflow:InitWorldCreationWorkflow') && names.some((n) => n.startsWith('RunActivity:runLlmStep')) && names.some((n) => n.endsWith('/CreateCharacter'));
    };
    for (let i = 0; i < 100 && !(linked && complete(linked)); i++) {
      const starts = receiver.spans.filter((s) => s.service === 'test-client' && s.name === 'StartWorkflow:InitWorldCreationWorkflow');
      const llmCalls = receiver.spans.filter((s) => s.service === 'generia-ai-worker' && String(s.attributes['url.full'] ?? '').startsWith(h.llm.url));
      linked = starts.find((s) => llmCalls.some((c) => c.traceId === s.traceId))?.traceId;
      if (!(linked && complete(linked))) await Bun.sleep(200);
    }
    expect(receiver.rejected).toEqual([]);
    expect(linked).toBeDefined();
    const inTrace = receiver.spans.filter((s) => s.traceId === linked).map((s) => s.name);
    expect(inTrace).toContain('RunWorkflow:InitWorldCreationWorkflow');
    expect(inTrace.some((n) => n.startsWith('RunActivity:runLlmStep'))).toBe(true);
    expect(inTrace.some((n) => n.endsWith('/CreateCharacter'))).toBe(true);
    // The platform services receive the world id as correlation id and the trace context with every call.
    const creations = h.services.calls.filter((c) => c.method === 'CreateCharacter');
    expect(creations).toHaveLength(2);
    for (const c of creations) {
      expect(c.correlationId).toBe(worldId);
      expect(c.traceparent?.split('-')[1]).toBe(linked);
    }

    // Tracing can be switched off: this world's histories, made by the traced bundle, replay on the plain one.
    const histories: { workflowId: string; history: Awaited<ReturnType<ReturnType<Client['workflow']['getHandle']>['fetchHistory']>> }[] = [];
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus="Completed"' })) {
      if (wf.workflowId.includes(worldId)) histories.push({ workflowId: wf.workflowId, history: await client.workflow.getHandle(wf.workflowId, wf.runId).fetchHistory() });
    }
    expect(histories.length).toBeGreaterThan(5);
    const replayFailures: string[] = [];
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: h.workflowBundlePath } }, histories)) {
      if (r.error) replayFailures.push(`${r.workflowId}: ${r.error.message.split('\n')[0]}`);
    }
    expect(replayFailures).toEqual([]);

    // Drain: a world whose LLM request takes 6 s is in flight when SIGTERM arrives.
    h.llm.setLatency(6_000);
    const served = h.llm.requests.length;
    const drained = randomUUID();
    await start(drained, 1, 1);
    for (let i = 0; i < 300 && h.llm.requests.length === served; i++) await Bun.sleep(100);
    expect(h.llm.requests.length).toBeGreaterThan(served);
    expect((await fetch(`${base}/readyz`)).status).toBe(200);
    worker.kill('SIGTERM');
    // From the moment the worker has taken the signal.
    for (let i = 0; i < 100 && !stdout.includes('"message":"shutting down: draining in-flight activities"'); i++) await Bun.sleep(20);
    const probes: { ready: number; live: number }[] = [];
    for (let i = 0; i < 20 && worker.exitCode === null; i++) {
      const [ready, live] = await Promise.all([fetch(`${base}/readyz`), fetch(`${base}/healthz`)]).then(
        (r) => r.map((x) => x.status),
        () => [0, 0],
      );
      if (ready) probes.push({ ready: ready!, live: live! });
      await Bun.sleep(150);
    }
    expect(probes.length).toBeGreaterThan(3);
    expect(probes.filter((p) => p.ready !== 503 || p.live !== 200)).toEqual([]);
    expect(await exited).toBe(0);
    h.llm.setLatency(0);
    // Nothing of the drained world may stay running for later test files on this Temporal server.
    for await (const wf of client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      if (wf.workflowId.includes(drained)) await client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test over').catch(() => {});
    }

    // The whole run's stdout: JSON lines only, no ANSI, and the world's story in them.
    expect(stdout).not.toContain('\u001b[');
    const lines = stdout.trimEnd().split('\n');
    const parsed = lines.map((line) => {
      try {
        return JSON.parse(line) as Record<string, any>;
      } catch {
        throw new Error(`not a JSON line on stdout: ${line.slice(0, 300)}`);
      }
    });
    const ofWorld = parsed.filter((l) => l.world_id === worldId);
    const startedLine = ofWorld.find((l) => l.message === 'world started');
    expect(startedLine).toMatchObject({ level: 'info', workflow_id: `init-world-${worldId}`, activity_type: 'openWorld', attempt: 1, characters_count: 2, posts_count: 2 });
    expect(typeof startedLine?.run_id).toBe('string');
    // Log lines and traces meet: the activity's line names the trace the client started.
    expect(startedLine?.trace_id).toBe(linked);
    const stages = ofWorld.filter((l) => l.message === 'world stage').map((l) => `${l.stage}:${l.stage_status}`);
    for (const s of ['world_description:completed', 'world_image:completed', 'characters:completed', 'posts:completed', 'finishing:completed']) expect(stages).toContain(s);
    const finished = ofWorld.find((l) => l.message === 'world finished');
    expect(finished).toMatchObject({ level: 'info', status: 'completed', characters_created: 2, posts_created: doc.posts_created, llm_calls: doc.api_calls_made_LLM });
    expect(finished?.cost_usd).toBeGreaterThan(0);
    expect(finished?.duration_s).toBeGreaterThan(0);
    expect(stdout).not.toContain('no traced workflow bundle');
    // The SDK's own lines come through the same logger (component set by the adapter).
    expect(parsed.some((l) => l.component === 'temporal' && l.message === 'Worker state changed')).toBe(true);
  },
  STACK_TIMEOUT_MS,
);

/** Every golden history of every release (test/golden/histories), which earlier releases recorded untraced. */
function goldenHistories() {
  const root = join(REPO_ROOT, 'test/golden/histories');
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith('.json')) files.push(p);
    }
  };
  walk(root);
  return files.map((f) => ({ workflowId: f.slice(root.length + 1), history: historyFromJSON(JSON.parse(readFileSync(f, 'utf8'))) }));
}

test(
  'tracing can be switched on under worlds in flight: every golden history replays on the traced bundle',
  async () => {
    const histories = goldenHistories();
    expect(histories.length).toBeGreaterThan(0);
    const failures: string[] = [];
    let replayed = 0;
    // The sink the traced bundle's interceptors call (the worker registers it when tracing is on).
    const sinks = { exporter: { export: { fn: () => {}, callDuringReplay: false } } };
    for await (const r of Worker.runReplayHistories({ workflowBundle: { codePath: tracedBundlePath(h.workflowBundlePath) }, sinks }, histories)) {
      replayed += 1;
      if (r.error) failures.push(`${r.workflowId}: ${r.error.name}: ${r.error.message.split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(histories.length);
  },
  STACK_TIMEOUT_MS,
);
