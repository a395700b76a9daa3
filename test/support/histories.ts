/**
 * Reads the histories of every workflow of a world (their ids follow from the task documents) and
 * measures every payload that crossed Temporal.
 */
import type { Client } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import type { Db } from 'mongodb';
import { rootWorkflowId, workflowIdFor, type TaskType } from '../../src/domain/task-ids';

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
  /** Decoded text of every payload, to search for secrets. */
  text: string;
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

export async function worldWorkflowIds(db: Db, worldId: string): Promise<string[]> {
  const tasks = await db.collection('tasks').find({ world_id: worldId }).project({ _id: 1, type: 1 }).toArray();
  return [rootWorkflowId(worldId), ...tasks.map((t) => workflowIdFor(t.type as TaskType, String(t._id)))];
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
  const report: PayloadReport = { workflows: 0, events: 0, activities: 0, largestHistoryEvents: 0, payloads: 0, largestPayloadBytes: 0, largestAt: '', text: '' };
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
  }
  return report;
}
