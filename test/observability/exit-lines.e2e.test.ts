/**
 * The worker's last lines reach stdout although it writes stdout asynchronously (src/observability/logger.ts): the
 * real worker (production build, Node 24) stopped by one SIGTERM (the drain, exit 0) and by a second SIGTERM during
 * a drain (exit 130 right after logging). A guard for the worker's exit paths: with a world's few lines each write
 * is done before the exit, so this passes even with the exit flush removed (checked); stdout-flush.test.ts, with
 * 600 KB queued at exit, is the one that fails then.
 */
import { afterAll, beforeAll, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;

beforeAll(async () => {
  h = await startWorldHarness();
}, STACK_TIMEOUT_MS);
afterAll(async () => {
  await h?.stop();
}, STACK_TIMEOUT_MS);

function jsonLines(output: string): { message: string; level: string; [k: string]: unknown }[] {
  return output
    .trimEnd()
    .split('\n')
    .map((line) => {
      try {
        return JSON.parse(line) as { message: string; level: string };
      } catch {
        throw new Error(`not a JSON line: ${line.slice(0, 300)}`);
      }
    });
}

async function waitFor(output: () => string, text: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no ${text} after ${ms} ms:\n${output().slice(-2000)}`);
    await Bun.sleep(20);
  }
}

test(
  'one SIGTERM: the drain and "worker stopped" are the last lines, exit 0',
  async () => {
    const extra = await h.spawnWorker();
    extra.signal('SIGTERM');
    expect(await extra.exited).toBe(0);
    const messages = jsonLines(extra.output()).map((l) => l.message);
    const draining = messages.indexOf('shutting down: draining in-flight activities');
    expect(draining).toBeGreaterThan(messages.indexOf('worker ready'));
    // The SDK's own "Worker state changed" lines may sit between them; ours are in order and nothing is cut.
    expect(messages.indexOf('worker stopped')).toBeGreaterThan(draining);
  },
  STACK_TIMEOUT_MS,
);

test(
  'a second SIGTERM during a drain: "second signal: exiting now" is on stdout although the process exits at once (130)',
  async () => {
    // An LLM call in flight keeps the drain going (grace 2 s in the harness) while the second signal arrives.
    h.llm.setLatency(10_000);
    const worldId = randomUUID();
    await h.startWorld({ world_id: worldId, world_name: 'Exit', world_prompt: 'A quiet harbour.', characters_count: 1, posts_count: 1 });
    for (let i = 0; i < 300 && h.llm.requests.length === 0; i++) await Bun.sleep(100);
    expect(h.llm.requests.length).toBeGreaterThan(0);
    h.signal('SIGTERM');
    await waitFor(h.output, '"message":"shutting down: draining in-flight activities"');
    h.signal('SIGTERM');
    const code = await h.exited;
    // On a failure, the output's tail says what came last (CI once saw another line after ours, see logger `last`).
    if (code !== 130 || !h.output().trimEnd().endsWith('}')) console.error(h.output().slice(-3000));
    expect(code).toBe(130);
    const lines = jsonLines(h.output());
    if (lines.at(-1)?.message !== 'second signal: exiting now') console.error(h.output().slice(-3000));
    expect(lines.at(-1)).toMatchObject({ level: 'warn', message: 'second signal: exiting now', signal: 'SIGTERM' });
    h.llm.setLatency(0);
    // Nothing of this world may stay running for later test files on this Temporal server.
    for await (const wf of h.client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      if (wf.workflowId.includes(worldId)) await h.client.workflow.getHandle(wf.workflowId, wf.runId).terminate('test over').catch(() => {});
    }
  },
  STACK_TIMEOUT_MS,
);
