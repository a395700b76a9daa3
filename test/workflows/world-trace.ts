/**
 * One world's timeline along its last-finishing chain — root, orchestrator, character batch, the character that
 * closed last (since `posts-inline` its avatar's and posts' steps are in its rows) and, for worlds started before,
 * the post workflow that closed last — from the histories: every activity (scheduled / started / completed),
 * child start and close, and workflow task, in ms from the start request. What a world waits for beside the
 * providers (queue waits, workflow tasks, bookkeeping activities, staggered child starts), read off one run.
 *
 *   bun run test/workflows/world-trace.ts [llmMs=1000] [imageMs=500] [characters=3] [posts=10]
 *
 * A development tool (docs/critical-path.md); the benchmark proper is `bun run bench`.
 */
import { temporal } from '@temporalio/proto';
import { fetchHistories, worldWorkflowIds, type WorkflowHistory } from '../support/histories';
import { stopSharedStack } from '../support/stack';
import { startWorldHarness } from '../support/world-harness';
const T = temporal.api.enums.v1.EventType;
const h = await startWorldHarness();
try {
  const [llmMs, imageMs, characters, posts] = [1000, 500, 3, 10].map((d, i) => Number(process.argv[2 + i] ?? d)) as [number, number, number, number];
  h.llm.setLatency(llmMs);
  h.images.setLatency(imageMs);
  {
  const worldId = crypto.randomUUID();
  const t0 = Date.now();
  await h.startWorld({ world_id: worldId, world_name: 'P', world_prompt: 'A city of clockwork gardens.', characters_count: characters, posts_count: posts });
  await h.waitForWorld(worldId, 600_000);
  console.log(`W = ${Date.now() - t0} ms (${characters}×${posts}, LLM ${llmMs} ms, image ${imageMs} ms)`);
  const ids = await worldWorkflowIds(h.db, worldId);
  const hs = (await Promise.all(ids.map((id) => fetchHistories(h.client, [id]).catch(() => [])))).flat();
  const ms = (e: temporal.api.history.v1.IHistoryEvent) => Number(e.eventTime!.seconds) * 1000 + e.eventTime!.nanos! / 1e6 - t0;
  const closeOf = (x: WorkflowHistory) => ms(x.history.events!.at(-1)!);
  const pick = (re: RegExp) => hs.filter((x) => re.test(x.workflowId)).sort((a, b) => closeOf(b) - closeOf(a))[0];
  const chain = [pick(/^init-world/), pick(/world-description|generate-world-desc/), pick(/character-batch/), pick(/^generate-character-[0-9a-f]{8}-/), pick(/generate-post-[^bi]/)].filter(Boolean);
  const rows: [number, string][] = [];
  for (const x of chain) {
    const name = x!.workflowId.split('-').slice(0, 3).join('-');
    const sched = new Map<number, string>();
    for (const e of x!.history.events!) {
      const t = ms(e); const ty = e.eventType!;
      if (ty === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) sched.set(Number(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name!);
      const label = T[ty]!.replace('EVENT_TYPE_', '');
      let extra = '';
      if (ty === T.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED) extra = sched.get(Number(e.eventId))!;
      if (ty === T.EVENT_TYPE_ACTIVITY_TASK_COMPLETED || ty === T.EVENT_TYPE_ACTIVITY_TASK_STARTED) extra = sched.get(Number((e.activityTaskCompletedEventAttributes ?? e.activityTaskStartedEventAttributes)!.scheduledEventId)) ?? '';
      if (ty === T.EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED) extra = e.startChildWorkflowExecutionInitiatedEventAttributes!.workflowId!.slice(0, 40);
      if (ty === T.EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_COMPLETED) extra = e.childWorkflowExecutionCompletedEventAttributes!.workflowExecution!.workflowId!.slice(0, 40);
      if (/MARKER|SEARCH/.test(label)) extra = '';
      rows.push([t, `${name.padEnd(28)} ${label.padEnd(40)} ${extra}`]);
    }
  }
  rows.sort((a, b) => a[0] - b[0]);
  for (const [t, r] of rows) console.log(t.toFixed(0).padStart(6), r);
  }
} finally { await h.stop(); await stopSharedStack(); }
