/**
 * A bare Temporal workload: the smallest workflows that exercise the same Temporal operations as a world (an
 * activity round trip, a child workflow start and completion), with no database, no providers and no bookkeeping.
 * The bench compares the full worker's time per hop with these.
 */
import { executeChild, proxyActivities, workflowInfo } from '@temporalio/workflow';

const { noop } = proxyActivities<{ noop(): Promise<void> }>({ startToCloseTimeout: '1 minute' });

export async function sequentialActivities(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await noop();
}

export async function fanOutActivities(n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, () => noop()));
}

export async function leaf(): Promise<void> {
  // A child that does nothing: its cost is the start, one workflow task and the completion.
}

export async function sequentialChildren(n: number): Promise<void> {
  const id = workflowInfo().workflowId;
  for (let i = 0; i < n; i++) await executeChild(leaf, { workflowId: `${id}-c${i}` });
}

export async function fanOutChildren(n: number): Promise<void> {
  const id = workflowInfo().workflowId;
  await Promise.all(Array.from({ length: n }, (_, i) => executeChild(leaf, { workflowId: `${id}-c${i}` })));
}
