/**
 * Encrypted payloads end to end: the production worker build runs with `PAYLOAD_CODEC_KEYS`, a client built with
 * the same `dataConverterFromEnv()` starts a world exactly as world-service would, and every history of that world
 * is then read raw from the Temporal server. Neither the user's prompt nor any generated text may appear in them;
 * the histories still decode — with the keys rotated since (a new key added) — and the codec server the Web UI
 * uses decodes a payload taken from the server. The same world then shows retention: its per-world records are
 * deleted by the worker once the (short) retention period has passed, and content safety: its first header render
 * is flagged by the safety check and rendered once more.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { randomBytes, randomUUID } from 'node:crypto';
import { startCodecServer } from '../../src/codec/codec-server';
import { dataConverterFromEnv } from '../../src/codec/data-converter';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING } from '../../src/codec/encryption-codec';
import { parseCodecKeys } from '../../src/codec/codec-keys';
import { rootWorkflowId, taskIds, TaskTypes, workflowIdFor } from '../../src/domain/task-ids';
import { fetchHistories, measurePayloads, worldWorkflowIds } from '../support/histories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

const OLD_KEYS = `k-old:${randomBytes(32).toString('base64')}`;
const ROTATED_KEYS = `${OLD_KEYS},k-new:${randomBytes(32).toString('base64')}`;
const PROMPT = 'An archipelago of clockwork orchards where the harvest is measured in borrowed hours.';

let h: WorldHarness;
let client: Client;

beforeAll(async () => {
  // A short retention and a fast sweep, so the same world shows its records expiring (FerretDB: the worker's sweeper).
  h = await startWorldHarness({ env: { PAYLOAD_CODEC_KEYS: OLD_KEYS, RETENTION_AFTER_SETTLED_SECONDS: '20', RETENTION_SWEEP_INTERVAL_MS: '1000' } });
  // What every client this project ships does: the data converter from the same configuration as the workers.
  client = new Client({ connection: h.client.connection, namespace: 'default', dataConverter: dataConverterFromEnv({ PAYLOAD_CODEC_KEYS: OLD_KEYS }) });
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

/** Waits for the world's orchestrator to close (its result is encrypted: only a client with the keys can read it). */
async function waitForOrchestrator(worldId: string, timeoutMs: number) {
  const handle: WorkflowHandle = client.workflow.getHandle(workflowIdFor(TaskTypes.worldDescription, taskIds.worldDescription(worldId)));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await handle.result();
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError' && Date.now() < deadline) {
        await Bun.sleep(200);
        continue;
      }
      throw err;
    }
  }
}

const toJson = (p: Payload) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});

describe('a world with the payload codec on', () => {
  test(
    'no plaintext prompt or generated text in any history; the histories decode after key rotation and through the codec server',
    async () => {
      const worldId = randomUUID();
      // Content safety in the same world: the first header render is flagged, so it is rendered once more.
      h.images.flagContent({ match: (task: { width?: number }) => task.width === 1536, times: 1 });
      await client.workflow.start('InitWorldCreationWorkflow', {
        workflowId: rootWorkflowId(worldId),
        taskQueue: 'ai-worker-main',
        args: [{ world_id: worldId, world_name: 'Orchard of Hours', world_prompt: PROMPT, characters_count: 1, posts_count: 1 }],
        workflowExecutionTimeout: '30 minutes',
      });
      const result = (await waitForOrchestrator(worldId, 240_000)) as { value?: { status?: string } } & Record<string, unknown>;
      // Read before the records expire (RETENTION_AFTER_SETTLED_SECONDS=20).
      const workflowIds = await worldWorkflowIds(h.db, worldId);
      expect(JSON.stringify(result)).toContain('completed');
      const status = await h.db.collection('world_generation_status').findOne({ _id: worldId as never });
      expect(status?.status).toBe('completed');
      expect(h.images.flagged.size).toBe(1);
      expect(h.images.downloads).not.toContain([...h.images.flagged][0]!);
      // Both header renders were paid for and counted: every render the stand-in made is in the world's count.
      expect(status?.api_calls_made_images).toBe(h.images.requests.filter((r) => r.status === 200).length);
      expect(h.images.requests.filter((r) => r.tasks[0]?.width === 1536)).toHaveLength(2);

      // Generated text the world produced: the description, the character, the post.
      const params = await h.db.collection('world_parameters').findOne({ _id: worldId as never });
      const character = [...h.services.state.characters.values()].find((c) => c.worldId === worldId);
      const post = [...h.services.state.posts.values()].find((p) => p.worldId === worldId);
      const generated = [String(params?.name ?? ''), String(character?.displayName ?? ''), String(post?.caption ?? '')];
      expect(generated.every((g) => g.length >= 6)).toBe(true);

      // Every task's workflow that ran (a task may be handled inside its parent's workflow, without one of its own).
      const histories = (
        await Promise.all(workflowIds.map((id) => fetchHistories(h.client, [id]).catch(() => [])))
      ).flat();
      expect(histories.map((x) => x.workflowId)).toContain(rootWorkflowId(worldId));
      expect(histories.length).toBeGreaterThanOrEqual(5);
      const raw = measurePayloads(histories);
      expect(raw.payloads).toBeGreaterThan(20);
      // Every payload on the server is encrypted …
      // … except what Temporal itself must read, which no codec touches and which holds no user content: search
      // attributes (TemporalChangeVersion), patch markers' ids, the SDK's own local-activity marker data (sequence,
      // attempt, activity type, times — the local activity's result is a separate, encrypted payload) and context
      // headers (trace ids).
      const plainPayloads = histories
        .flatMap(({ history }) => [...payloadsOf(history)])
        .filter(({ payload }) => new TextDecoder().decode(payload.metadata?.encoding ?? new Uint8Array()) !== ENCRYPTED_ENCODING)
        .filter(({ path }) => !/(^|\.)(searchAttributes|header)\./.test(path) && !/markerRecordedEventAttributes\.details\.(patch-data|data)\./.test(path))
        .map(({ path, payload }) => `${path}: ${new TextDecoder().decode(payload.data ?? new Uint8Array()).slice(0, 120)}`);
      expect(plainPayloads).toEqual([]);
      // … and nothing the user wrote or the models generated can be read there.
      expect(raw.text).not.toContain(PROMPT.slice(0, 40));
      expect(raw.text).not.toContain('clockwork orchards');
      for (const g of generated) expect(raw.text).not.toContain(g);

      // The keys have been rotated since (a new key added): the old history still decodes, with the prompt in it.
      const rotated = new AesGcmPayloadCodec(parseCodecKeys(ROTATED_KEYS));
      const rootInput = histories.find((x) => x.workflowId === rootWorkflowId(worldId))!.history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]! as Payload;
      const [decoded] = await rotated.decode([rootInput]);
      expect((defaultPayloadConverter.fromPayload(decoded!) as { world_prompt: string }).world_prompt).toBe(PROMPT);

      // The Web UI's path: the codec server (rotated keys) decodes the payload exactly as the server stores it.
      const server = await startCodecServer({ codec: rotated, allowedOrigins: ['http://localhost:8233'] });
      try {
        const res = await fetch(`${server.url}/decode`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', origin: 'http://localhost:8233', 'x-namespace': 'default' },
          body: JSON.stringify({ payloads: [toJson(rootInput)] }),
        });
        expect(res.status).toBe(200);
        const { payloads } = (await res.json()) as { payloads: { data: string }[] };
        expect(JSON.parse(Buffer.from(payloads[0]!.data, 'base64').toString()).world_prompt).toBe(PROMPT);
      } finally {
        await server.close();
      }

      // Retention: once the period has passed, the worker deletes the settled world's tasks, ledger, side effects,
      // provider calls and audit rows; the status document and world parameters stay.
      const expiring = ['tasks', 'status_ledger', 'side_effects', 'provider_calls', 'api_requests_history'];
      const left = async () => Promise.all(expiring.map((c) => h.db.collection(c).countDocuments({ world_id: worldId })));
      expect((await left()).reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      const deadline = Date.now() + 90_000;
      while ((await left()).some((n) => n > 0) && Date.now() < deadline) await Bun.sleep(1_000);
      expect(await left()).toEqual([0, 0, 0, 0, 0]);
      expect(await h.db.collection('world_generation_status').countDocuments({ _id: worldId as never })).toBe(1);
      expect(await h.db.collection('world_parameters').countDocuments({ _id: worldId as never })).toBe(1);
    },
    STACK_TIMEOUT_MS,
  );
});

function* payloadsOf(node: unknown, path = '', seen = new Set<unknown>()): Generator<{ path: string; payload: Payload }> {
  if (node === null || typeof node !== 'object' || seen.has(node) || node instanceof Uint8Array) return;
  seen.add(node);
  const record = node as Record<string, unknown>;
  const metadata = record.metadata;
  if (metadata && typeof metadata === 'object' && 'encoding' in metadata) {
    yield { path, payload: record as Payload };
    return;
  }
  for (const [key, value] of Object.entries(record)) {
    const at = path ? `${path}.${key}` : key;
    if (Array.isArray(value)) for (const item of value) yield* payloadsOf(item, at, seen);
    else yield* payloadsOf(value, at, seen);
  }
}
