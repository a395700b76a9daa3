/**
 * `bun run world …` driven as an operator drives it: each command is a subprocess of the real CLI against the real
 * local stack, with the production worker (Node) and the stand-ins from the world harness. Two worlds: one runs to
 * completion (create → watch → status/cost/list, then watch again in a pseudo-terminal), one is cancelled mid-run.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { resolve } from 'node:path';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { getStack } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

const REPO_ROOT = resolve(import.meta.dirname, '../..');
const CLI = resolve(REPO_ROOT, 'src/cli/main.ts');

let h: WorldHarness;
let env: Record<string, string>;

type Run = { code: number; stdout: string; stderr: string };

async function world(args: string[], extraEnv: Record<string, string> = {}): Promise<Run> {
  const proc = Bun.spawn([process.execPath, 'run', CLI, ...args], {
    cwd: REPO_ROOT,
    env: { ...env, ...extraEnv },
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  return { code, stdout, stderr };
}

beforeAll(async () => {
  h = await startWorldHarness();
  const stack = await getStack();
  env = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    TEMPORAL_ADDRESS: stack.temporalAddress,
    MONGODB_URI: stack.mongoUri,
    MONGODB_DATABASE: h.db.databaseName,
  };
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

describe('world CLI', () => {
  test('bad arguments, unknown worlds and unreachable servers: one clear line and a non-zero exit', async () => {
    const missingPrompt = await world(['create']);
    expect(missingPrompt.code).toBe(2);
    expect(missingPrompt.stderr).toContain("required option '-p, --prompt <text>' not specified");

    const badCount = await world(['create', '--prompt', 'A city of bells', '--characters', '41', '--posts', '3']);
    expect(badCount.code).toBe(2);
    expect(badCount.stderr).toContain('characters_count: expected an integer between 1 and 40');

    const notANumber = await world(['watch', '7d0c1a52-5b3e-4f7e-9a41-3c2b1d0e9f88', '--interval', 'soon']);
    expect(notANumber.code).toBe(2);
    expect(notANumber.stderr).toContain('--interval must be an integer');

    const badId = await world(['status', 'not a world']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('is not valid: expected a lower-case UUID');

    const unknownState = await world(['list', '--state', 'sleeping']);
    expect(unknownState.code).toBe(2);
    expect(unknownState.stderr).toContain('Allowed choices are in_progress, completed, failed, cancelled');

    const unknownCommand = await world(['destroy']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toContain("unknown command 'destroy'");

    const unknown = crypto.randomUUID();
    for (const cmd of ['status', 'watch', 'cancel', 'cost']) {
      const r = await world([cmd, unknown]);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`unknown world ${unknown}`);
    }

    const noTemporal = await world(['status', unknown], { TEMPORAL_ADDRESS: '127.0.0.1:1' });
    expect(noTemporal.code).toBe(4);
    expect(noTemporal.stderr).toContain('cannot reach Temporal at 127.0.0.1:1 (TEMPORAL_ADDRESS');
    const noMongo = await world(['list'], { MONGODB_URI: 'mongodb://user:hunter2@127.0.0.1:1/' });
    expect(noMongo.code).toBe(4);
    expect(noMongo.stderr).toContain('cannot reach MongoDB at mongodb://user:***@127.0.0.1:1/ (MONGODB_URI)');
    expect(noMongo.stderr).not.toContain('hunter2');

    const help = await world(['watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Usage: world watch [options] <world-id>');
  }, STACK_TIMEOUT_MS);

  test('create → watch (JSON lines off a terminal) → status completed; cost and list agree; watch draws bars in a pty', async () => {
    const created = await world(['create', '--prompt', 'Glass deserts where caravans follow singing dunes.', '--name', 'Dunesong', '--characters', '2', '--posts', '3']);
    expect(created.stderr).toBe('');
    expect(created.code).toBe(0);
    const worldId = created.stdout.trim();
    expect(worldId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    // Started as world-service starts it: the root, by its id, with the world-service argument.
    const root = await h.client.workflow.getHandle(`init-world-${worldId}`).describe();
    expect(root.type).toBe('InitWorldCreationWorkflow');
    expect(root.taskQueue).toBe('ai-worker-main');

    const watched = await world(['watch', worldId, '--interval', '200']);
    expect(watched.code).toBe(0);
    const lines = watched.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines.length).toBeGreaterThan(1);
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ world_id: worldId, state: 'completed', final: true, characters: { created: 2, requested: 2 }, posts: { created: 3, requested: 3 } });
    // It followed the world while it ran, not just its end.
    expect(lines.some((l) => l.state === 'in_progress')).toBe(true);

    // The world is settled in MongoDB a moment before its orchestrator closes its own task and returns: wait for the
    // close, so the progress query below is answered from the closed history as intended.
    await h.client.workflow.getHandle(`generate-world-description-${worldId}:world-description`).result();
    const status = await world(['status', worldId, '--json']);
    expect(status.code).toBe(0);
    const view = JSON.parse(status.stdout);
    const doc = (await h.db.collection('world_generation_status').findOne({ _id: worldId as any }))!;
    expect(view.state).toBe('completed');
    expect(view.stages.every((s: any) => s.status === 'completed')).toBe(true);
    expect(view.calls.llm).toBe(doc.api_calls_made_LLM);
    expect(view.cost.total).toBeCloseTo(doc.llm_cost_total + doc.image_cost_total, 10);
    // The orchestrator answers the progress query (replayed from its closed history).
    expect(view.orchestrator).toMatchObject({ status: 'COMPLETED', progress: { world_id: worldId, phase: 'completed' } });
    const text = await world(['status', worldId]);
    expect(text.stdout).toContain(`world ${worldId}: completed`);
    expect(text.stdout).toContain('characters: 2/2');

    const cost = await world(['cost', worldId, '--json']);
    expect(cost.code).toBe(0);
    const report = JSON.parse(cost.stdout);
    // By step and model from the cost ledger; the lines add up to the status document's totals.
    expect(report.lines).toContainEqual(expect.objectContaining({ provider: 'llm', step: 'world_description', answers: 1 }));
    expect(report.lines.some((l: any) => l.provider === 'images' && l.costUsd > 0)).toBe(true);
    expect(report.lines.every((l: any) => l.model !== 'unknown')).toBe(true);
    expect(report.matchesStatus).toBe(true);
    expect(report.totals.llmCostUsd).toBeCloseTo(doc.llm_cost_total, 10);
    expect(report.totals.imageCostUsd).toBeCloseTo(doc.image_cost_total, 10);
    const costText = await world(['cost', worldId]);
    expect(costText.stdout).toMatch(/llm\s+world_description\s+\S+\s+1\s/);
    expect(costText.stdout).toContain('matches the lines');

    const listed = await world(['list', '--state', 'completed', '--json']);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout).map((w: any) => w.world_id)).toContain(worldId);
    const notFailed = await world(['list', '--state', 'failed', '--json']);
    expect(JSON.parse(notFailed.stdout).map((w: any) => w.world_id)).not.toContain(worldId);
    // The orchestrator wrote its search attributes (the stack's dev server registers them), so visibility finds it.
    const described = await h.client.workflow.getHandle(`generate-world-description-${worldId}:world-description`).describe();
    expect(described.searchAttributes).toMatchObject({ GeneriaWorldId: [worldId], GeneriaWorldState: ['completed'] });
    const visible = await world(['list', '--source', 'temporal', '--state', 'completed', '--json']);
    expect(visible.stderr).toBe('');
    expect(JSON.parse(visible.stdout)).toContainEqual(expect.objectContaining({ world_id: worldId, state: 'completed', cost: view.cost }));
    const table = await world(['list']);
    expect(table.stdout).toMatch(new RegExp(`${worldId}\\s+completed\\s+finishing\\s+2/2\\s+3/3\\s+\\$\\d`));

    // In a pseudo-terminal (util-linux `script`), the same watch draws progress bars instead of JSON.
    const cmd = [process.execPath, 'run', CLI, 'watch', worldId].map((a) => `'${a}'`).join(' ');
    const pty = Bun.spawn(['script', '-q', '-e', '-c', cmd, '/dev/null'], { cwd: REPO_ROOT, env: { ...env, TERM: 'xterm', COLUMNS: '120' }, stdout: 'pipe', stderr: 'pipe' });
    const [ptyOut, ptyCode] = await Promise.all([new Response(pty.stdout).text(), pty.exited]);
    expect(ptyCode).toBe(0);
    expect(ptyOut).toMatch(/characters\s+\|█+\| 2\/2 completed/);
    expect(ptyOut).toMatch(/posts\s+\|█+\| 3\/3 completed/);
    expect(ptyOut).toContain('\u001b['); // cursor control: redrawn in place
    expect(ptyOut).not.toContain('{"time"');
  }, STACK_TIMEOUT_MS);

  test('cancel stops a running world: the tree stops, the world ends cancelled and watch exits non-zero', async () => {
    // Slow answers keep the world running long enough to cancel it mid-way.
    h.llm.setLatency(400);
    try {
      const created = await world(['create', '--prompt', 'Tidal libraries whose shelves surface only at low tide.', '--characters', '3', '--posts', '9']);
      expect(created.code).toBe(0);
      const worldId = created.stdout.trim();
      // Wait until the orchestrator is running its children (the world is past its description).
      for (let i = 0; ; i++) {
        const doc = await h.db.collection('world_generation_status').findOne({ _id: worldId as any });
        if (doc?.stages.find((s: any) => s.name === 'characters')?.status === 'in_progress') break;
        if (i > 600) throw new Error('world never reached the characters stage');
        await Bun.sleep(100);
      }
      const running = JSON.parse((await world(['status', worldId, '--json'])).stdout);
      expect(running.state).toBe('in_progress');
      expect(running.orchestrator).toMatchObject({ status: 'RUNNING', progress: { phase: 'generating' } });

      const cancelled = await world(['cancel', worldId, '--wait', '--timeout', '120']);
      expect(cancelled.stderr).toBe('');
      expect(cancelled.code).toBe(0);
      expect(cancelled.stdout).toContain(`cancel requested for world ${worldId} (generate-world-description-${worldId}:world-description)`);
      expect(cancelled.stdout).toContain(`world ${worldId}: cancelled`);

      const status = JSON.parse((await world(['status', worldId, '--json'])).stdout);
      expect(status.state).toBe('cancelled');
      expect(status.error).toBe('cancelled');
      expect(status.stages.find((s: any) => s.name === 'finishing')).toMatchObject({ status: 'failed', reason: 'cancelled' });
      expect(status.posts.created).toBeLessThan(9);
      const watched = await world(['watch', worldId]);
      expect(watched.code).toBe(5);
      expect(JSON.parse(watched.stdout.trim().split('\n').at(-1)!)).toMatchObject({ state: 'cancelled', final: true });
      const again = await world(['cancel', worldId]);
      expect(again.code).toBe(0);
      expect(again.stdout).toContain('already ended: cancelled');
      expect((await world(['list', '--state', 'cancelled', '--json'])).stdout).toContain(worldId);
      const visible = await world(['list', '--source', 'temporal', '--state', 'cancelled', '--json']);
      expect(visible.stderr).toBe('');
      expect(visible.stdout).toContain(worldId);
      // Nothing of the tree is still running once the world says cancelled.
      const orchestrator = await h.client.workflow.getHandle(`generate-world-description-${worldId}:world-description`).describe();
      expect(orchestrator.status.name).toBe('CANCELLED');
    } finally {
      h.llm.setLatency(0);
    }
  }, STACK_TIMEOUT_MS);
});
