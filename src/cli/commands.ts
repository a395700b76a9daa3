/**
 * The six operations behind `bun run world …`, each a plain function of its connections and options, so
 * main.ts only parses arguments and maps outcomes to exit codes.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { rootWorkflowId } from '../domain/task-ids';
import { parseInitWorldInput } from '../schemas/world-input';
import { hasWorldSearchAttributes, SEARCH_ATTRIBUTE_NAMES, WorldIdSearchAttribute, WorldStateSearchAttribute } from '../workflows/progress';
import { costReport, formatCost } from './cost';
import type { Connections } from './connections';
import { CliError, EXIT, usageError } from './errors';
import { formatStatus, table, usd } from './format';
import { exitCodeFor, watchWorld } from './watch';
import { isFinal, loadWorld, orchestratorId, readStatus, STATUS_COLLECTION, viewOf, type StatusDoc, type WorldView } from './world-view';

export type Out = { stdout: NodeJS.WritableStream; stderr: NodeJS.WritableStream };

export interface CreateOptions {
  prompt: string;
  name?: string;
  characters: number;
  posts: number;
  llmLimit?: number;
  imageLimit?: number;
  id?: string;
}

/**
 * Starts `InitWorldCreationWorkflow` exactly as world-service does (pkg/temporal/client.go): id `init-world-<world>`,
 * queue `ai-worker-main`, 30-minute execution and run timeouts, 5-minute workflow task timeout, one JSON argument
 * with world-service's field names. The call limits are the worker's optional extension of that input.
 */
export async function createWorld(c: Connections, o: CreateOptions): Promise<string> {
  const input = {
    world_id: o.id ?? crypto.randomUUID(),
    world_name: o.name ?? '',
    world_prompt: o.prompt,
    characters_count: o.characters,
    posts_count: o.posts,
    ...(o.llmLimit !== undefined ? { api_call_limits_llm: o.llmLimit } : {}),
    ...(o.imageLimit !== undefined ? { api_call_limits_images: o.imageLimit } : {}),
  };
  // The worker refuses bad input anyway; checking first gives the operator the field names before anything runs.
  const parsed = parseInitWorldInput(input);
  if (!parsed.ok) throw usageError(`invalid world: ${parsed.problems.join('; ')}`);
  const client = await c.temporal();
  try {
    await client.workflow.start('InitWorldCreationWorkflow', {
      workflowId: rootWorkflowId(input.world_id),
      taskQueue: c.settings.taskQueue,
      args: [input],
      workflowExecutionTimeout: '30 minutes',
      workflowRunTimeout: '30 minutes',
      workflowTaskTimeout: '5 minutes',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) throw usageError(`world ${input.world_id} is already being created (${rootWorkflowId(input.world_id)} is running)`);
    throw err;
  }
  return input.world_id;
}

export async function status(c: Connections, worldId: string, o: { json?: boolean }, out: Out): Promise<number> {
  const view = await loadWorld(await c.db(), await c.temporal(), worldId);
  out.stdout.write(o.json ? `${JSON.stringify(view, null, 2)}\n` : `${formatStatus(view)}\n`);
  return EXIT.ok;
}

export async function watch(c: Connections, worldId: string, o: { intervalMs: number; timeoutMs?: number; json?: boolean }, out: Out): Promise<number> {
  const db = await c.db();
  await loadWorld(db, await c.temporal(), worldId); // unknown world → exit 3 before anything is drawn
  const tty = !o.json && (out.stdout as NodeJS.WriteStream).isTTY === true;
  return watchWorld(db, worldId, { intervalMs: o.intervalMs, ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), tty, out: out.stdout });
}

/**
 * Cancels the world's orchestrator, which passes the cancel down the whole tree and then settles the world
 * `failed` with error `cancelled` (ARCHITECTURE.md, "Cancel"). Before the orchestrator exists the root is
 * cancelled instead; it forwards the cancel or settles the world itself.
 */
export async function cancel(c: Connections, worldId: string, o: { wait?: boolean; timeoutMs?: number }, out: Out): Promise<number> {
  const db = await c.db();
  const client = await c.temporal();
  const view = await loadWorld(db, client, worldId);
  if (isFinal(view.state)) {
    out.stdout.write(`world ${worldId} already ended: ${view.state}${view.error ? ` (${view.error})` : ''}\n`);
    return EXIT.ok;
  }
  const running = async (id: string) => {
    try {
      return (await client.workflow.getHandle(id).describe()).status.name === 'RUNNING';
    } catch {
      return false;
    }
  };
  const target = (await running(orchestratorId(worldId))) ? orchestratorId(worldId) : (await running(rootWorkflowId(worldId))) ? rootWorkflowId(worldId) : undefined;
  if (!target) {
    throw new CliError(`world ${worldId} is ${view.state} but none of its workflows is running (${orchestratorId(worldId)}, ${rootWorkflowId(worldId)}); nothing to cancel`, EXIT.worldFailed);
  }
  await client.workflow.getHandle(target).cancel();
  out.stdout.write(`cancel requested for world ${worldId} (${target})\n`);
  if (!o.wait) return EXIT.ok;
  const deadline = o.timeoutMs === undefined ? Infinity : Date.now() + o.timeoutMs;
  for (;;) {
    const now = viewOf(worldId, await readStatus(db, worldId));
    if (isFinal(now.state)) {
      out.stdout.write(`world ${worldId}: ${now.state}${now.error ? ` (${now.error})` : ''}\n`);
      return EXIT.ok;
    }
    if (Date.now() >= deadline) return EXIT.timeout;
    await new Promise((r) => setTimeout(r, 500));
  }
}

export const LIST_STATES = ['in_progress', 'completed', 'failed', 'cancelled'] as const;

/**
 * Worlds from Temporal's visibility store, by the orchestrator's search attributes (what the Web UI filters on), with
 * their figures from the status documents. Newest first, as visibility lists them.
 */
async function listFromTemporal(c: Connections, o: { state?: string; limit: number }): Promise<WorldView[]> {
  const client = await c.temporal();
  const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace: c.settings.namespace });
  if (!hasWorldSearchAttributes(customAttributes as Record<string, unknown> | null | undefined)) {
    throw usageError(
      `namespace ${c.settings.namespace} has no ${SEARCH_ATTRIBUTE_NAMES.worldId}/${SEARCH_ATTRIBUTE_NAMES.worldState} search attributes; register them (temporal operator search-attribute create --name ${SEARCH_ATTRIBUTE_NAMES.worldId} --type Keyword, and ${SEARCH_ATTRIBUTE_NAMES.worldState}) or use --source mongo`,
    );
  }
  // o.state is one of LIST_STATES (commander checks the choice), so it is safe inside the query.
  const query = `WorkflowType = 'GenerateWorldDescriptionWorkflow' AND ${SEARCH_ATTRIBUTE_NAMES.worldId} IS NOT NULL${o.state ? ` AND ${SEARCH_ATTRIBUTE_NAMES.worldState} = '${o.state}'` : ''}`;
  const found: { id: string; state: string }[] = [];
  for await (const wf of client.workflow.list({ query })) {
    const id = wf.typedSearchAttributes.get(WorldIdSearchAttribute);
    if (id) found.push({ id, state: wf.typedSearchAttributes.get(WorldStateSearchAttribute) ?? 'in_progress' });
    if (found.length >= o.limit) break;
  }
  const db = await c.db();
  const docs = new Map((await db.collection<StatusDoc>(STATUS_COLLECTION).find({ _id: { $in: found.map((f) => f.id) } }).toArray()).map((d) => [d._id, d]));
  return found.map(({ id, state }) => {
    const view = viewOf(id, docs.get(id) ?? null);
    return docs.has(id) ? view : { ...view, state: state as WorldView['state'] };
  });
}

export async function list(c: Connections, o: { state?: string; limit: number; json?: boolean; source?: 'mongo' | 'temporal' }, out: Out): Promise<number> {
  if (o.source === 'temporal') return printList(await listFromTemporal(c, o), o, out, 'Temporal visibility');
  const db = await c.db();
  const filter =
    o.state === 'cancelled'
      ? { status: 'failed', error: 'cancelled' }
      : o.state === 'failed'
        ? { status: 'failed', error: { $ne: 'cancelled' } }
        : o.state
          ? { status: o.state }
          : {};
  const docs = await db
    .collection<StatusDoc>(STATUS_COLLECTION)
    .find(filter as never, { projection: { pending_keys: 0, contended_keys: 0 } })
    .sort({ created_at: -1 })
    .limit(o.limit)
    .toArray();
  return printList(docs.map((d) => viewOf(d._id, d)), o, out, `${db.databaseName}.${STATUS_COLLECTION}`);
}

function printList(views: WorldView[], o: { state?: string; json?: boolean }, out: Out, source: string): number {
  if (o.json) {
    out.stdout.write(`${JSON.stringify(views, null, 2)}\n`);
    return EXIT.ok;
  }
  if (views.length === 0) {
    out.stdout.write(`no worlds${o.state ? ` in state ${o.state}` : ''} in ${source}\n`);
    return EXIT.ok;
  }
  out.stdout.write(
    `${table(
      ['WORLD', 'STATE', 'STAGE', 'CHARACTERS', 'POSTS', 'COST', 'CREATED'],
      views.map((v) => [
        v.world_id,
        v.state,
        v.current_stage ?? '-',
        `${v.characters.created}/${v.characters.requested}`,
        `${v.posts.created}/${v.posts.requested}`,
        usd(v.cost.total),
        v.created_at ?? '-',
      ]),
    )}\n`,
  );
  return EXIT.ok;
}

export async function cost(c: Connections, worldId: string, o: { json?: boolean }, out: Out): Promise<number> {
  const db = await c.db();
  await loadWorld(db, await c.temporal(), worldId);
  const report = await costReport(db, worldId);
  if (!report) throw new CliError(`world ${worldId} has no status document in ${db.databaseName}.${STATUS_COLLECTION} yet: nothing spent`, EXIT.unknownWorld);
  out.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : `${formatCost(report)}\n`);
  return EXIT.ok;
}

export { exitCodeFor };
