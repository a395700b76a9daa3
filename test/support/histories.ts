/**
 * Reads the histories of every workflow of a world (their ids follow from the task documents), measures
 * every payload that crossed Temporal, and gathers everything a secret could hide in: payloads, failure
 * messages and stack traces (activity failures, the last failure of a retried attempt, workflow
 * failures), the worker's logs and the world's MongoDB records.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Db } from 'mongodb';
import { rootWorkflowId, TaskTypes, workflowIdFor, type TaskType } from '../../src/domain/task-ids';

export interface PayloadReport {
  workflows: number;
  events: number;
  /** ActivityTaskScheduled events across all histories. */
  activities: number;
  /** Largest single history, in events. */
  largestHistoryEvents: number;
  payloads: number;
  largestPayloadBytes: number;
  largestAt: string;
  /**
   * Everything textual in the histories, to search for secrets: the decoded payloads, then every string
   * field — failure messages and stack traces (including `lastFailure` of retried attempts), identities, ids.
   */
  text: string;
  /** Failure messages and stack traces alone (a subset of {@link text}), to show that failures were scanned. */
  failureText: string;
}

function* payloadsIn(node: unknown, seen = new Set<unknown>()): Generator<Uint8Array> {
  if (node === null || typeof node !== 'object' || seen.has(node)) return;
  seen.add(node);
  if (node instanceof Uint8Array) return;
  const record = node as Record<string, unknown>;
  if (record.data instanceof Uint8Array && 'metadata' in record) {
    yield record.data;
    return;
  }
  for (const value of Object.values(record)) {
    if (Array.isArray(value)) for (const item of value) yield* payloadsIn(item, seen);
    else yield* payloadsIn(value, seen);
  }
}

/** Every string in a history (messages, stack traces, …), skipping payload bytes. */
function* stringsIn(node: unknown, seen = new Set<unknown>()): Generator<[key: string, value: string]> {
  if (node === null || typeof node !== 'object' || seen.has(node) || node instanceof Uint8Array) return;
  seen.add(node);
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    if (typeof value === 'string') yield [key, value];
    else if (Array.isArray(value)) for (const item of value) yield* stringsIn(item, seen);
    else yield* stringsIn(value, seen);
  }
}

export async function worldWorkflowIds(db: Db, worldId: string): Promise<string[]> {
  const tasks = await db.collection('tasks').find({ world_id: worldId }).project({ _id: 1, type: 1, 'parameters.conceived_with_character': 1 }).toArray();
  // A character's first post batch (release 0.3) runs inside the character's workflow: no workflow of its own.
  // Since `posts-inline` posts and avatars have none either: they run in their character's or post batch's history.
  const inline = new Set<string>([TaskTypes.post, TaskTypes.characterAvatar]);
  const own = tasks.filter((t) => t.parameters?.conceived_with_character !== true && !inline.has(String(t.type)));
  return [rootWorkflowId(worldId), ...own.map((t) => workflowIdFor(t.type as TaskType, String(t._id)))];
}

export interface WorkflowHistory {
  workflowId: string;
  history: temporal.api.history.v1.IHistory;
}

export async function fetchHistories(client: Client, workflowIds: string[]): Promise<WorkflowHistory[]> {
  const out: WorkflowHistory[] = [];
  for (const workflowId of workflowIds) out.push({ workflowId, history: await client.workflow.getHandle(workflowId).fetchHistory() });
  return out;
}

export function measurePayloads(histories: WorkflowHistory[]): PayloadReport {
  const report: PayloadReport = {
    workflows: 0,
    events: 0,
    activities: 0,
    largestHistoryEvents: 0,
    payloads: 0,
    largestPayloadBytes: 0,
    largestAt: '',
    text: '',
    failureText: '',
  };
  const strings: string[] = [];
  const failures: string[] = [];
  const decoder = new TextDecoder();
  for (const { workflowId: id, history } of histories) {
    report.workflows += 1;
    const events = history.events ?? [];
    report.events += events.length;
    report.largestHistoryEvents = Math.max(report.largestHistoryEvents, events.length);
    report.activities += events.filter((e) => e.activityTaskScheduledEventAttributes).length;
    for (const data of payloadsIn(history)) {
      report.payloads += 1;
      report.text += decoder.decode(data) + '\n';
      if (data.byteLength > report.largestPayloadBytes) {
        report.largestPayloadBytes = data.byteLength;
        report.largestAt = id;
      }
    }
    for (const [key, value] of stringsIn(history)) {
      strings.push(value);
      if (key === 'message' || key === 'stackTrace') failures.push(value);
    }
  }
  report.text += strings.join('\n');
  report.failureText = failures.join('\n');
  return report;
}

/** The world's MongoDB records as text: status, tasks (results and `error`), audit rows, parameters, ledger. */
export async function worldRecordsText(db: Db, worldId: string): Promise<{ status: string; tasks: string; audit: string; other: string }> {
  const dump = async (collection: string, filter: Record<string, unknown>) => JSON.stringify(await db.collection(collection).find(filter).toArray());
  return {
    status: await dump('world_generation_status', { _id: worldId }),
    tasks: await dump('tasks', { world_id: worldId }),
    audit: await dump('api_requests_history', { world_id: worldId }),
    other: (await Promise.all([dump('world_parameters', { _id: worldId }), dump('status_ledger', { world_id: worldId })])).join('\n'),
  };
}

/**
 * Where each secret appears, as "<secret name> in <place>" (empty when none does). `places` maps a
 * name (history, logs, tasks, …) to its text.
 */
export function findSecrets(secrets: Record<string, string>, places: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [name, secret] of Object.entries(secrets)) {
    if (secret.length < 6) throw new Error(`secret ${name} is too short to search for`);
    for (const [place, text] of Object.entries(places)) if (text.includes(secret)) found.push(`${name} in ${place}`);
  }
  return found;
}
