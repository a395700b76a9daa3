/** What this process polls and how much it runs at once. */
import { WORKER_ROLES } from '../../domain/task-queues';
import { defineSection, envVar } from '../define';
import { integer, listOf, number, text } from '../schemas';

const slots = (name: string, def: number, doc: string) =>
  envVar({ name, schema: integer(1, 10_000), default: String(def), doc, expected: 'an integer 1..10000' });

export const MAX_CONCURRENT_DB_OPERATIONS = slots(
  'MAX_CONCURRENT_DB_OPERATIONS',
  20,
  'Progress queue activity slots, as the original.',
);

const queueRate = (name: string, queue: string) =>
  envVar({
    name,
    schema: number(0, 1_000_000, true),
    doc: `\`maxTaskQueueActivitiesPerSecond\` on ${queue} (a limit shared by every worker of the queue); unset = no limit.`,
    expected: 'a number above 0, or unset',
  });

export default defineSection({
  key: 'worker',
  title: 'Worker process',
  vars: {
    roles: envVar({
      name: 'WORKER_ROLES',
      schema: listOf(WORKER_ROLES),
      default: WORKER_ROLES.join(','),
      doc: 'Which task queues this process polls; split roles to scale them on their own machines.',
      expected: `a comma-separated subset of ${WORKER_ROLES.join(',')}`,
    }),
    maxWorkflowTasks: slots('MAX_WORKFLOW_TASKS_PER_WORKER', 100, 'Workflow task slots on the main queue, as the original.'),
    maxActivities: slots('MAX_ACTIVITIES_PER_WORKER', 200, 'Activity slots on the main queue, as the original.'),
    maxConcurrentLlm: slots('MAX_CONCURRENT_LLM_REQUESTS', 50, 'LLM queue activity slots, as the original.'),
    maxConcurrentImages: slots('MAX_CONCURRENT_IMAGE_REQUESTS', 30, 'Images queue activity slots, as the original.'),
    maxConcurrentDb: MAX_CONCURRENT_DB_OPERATIONS,
    maxConcurrentGrpc: slots('MAX_CONCURRENT_GRPC_CALLS', 100, 'Services queue activity slots, as the original.'),
    llmQueueRatePerSecond: queueRate('LLM_QUEUE_RATE_LIMIT_PER_SECOND', 'ai-worker-llm'),
    imagesQueueRatePerSecond: queueRate('IMAGES_QUEUE_RATE_LIMIT_PER_SECOND', 'ai-worker-images'),
    shutdownGraceMs: envVar({
      name: 'SHUTDOWN_GRACE_MS',
      schema: integer(0, 3_600_000),
      default: '30000',
      doc: 'On SIGTERM, how long in-flight activities may finish before the process stops (spec 15.36).',
      expected: 'an integer 0..3600000 (milliseconds)',
    }),
    workflowBundlePath: envVar({
      name: 'WORKFLOW_BUNDLE_PATH',
      schema: text(),
      doc: 'A prebuilt workflow bundle; unset = the bundle next to dist/worker.js, else bundle at start-up.',
      expected: 'a file path, or unset',
    }),
    maxCachedWorkflows: envVar({
      name: 'MAX_CACHED_WORKFLOWS',
      schema: integer(0, 1_000_000),
      doc: "Sticky workflow cache size; unset = the SDK's memory-based default.",
      expected: 'an integer 0..1000000, or unset',
    }),
    healthPort: envVar({
      name: 'HEALTH_PORT',
      schema: integer(1, 65_535),
      doc: 'Serve `GET /healthz` (liveness) and `GET /readyz` (readiness) on this port; unset = no health server.',
      expected: 'a TCP port 1..65535, or unset',
      example: '8080',
    }),
    healthProbeTimeoutMs: envVar({
      name: 'HEALTH_PROBE_TIMEOUT_MS',
      schema: integer(100, 60_000),
      default: '2000',
      doc:
        "How long `/readyz` waits for each dependency (MongoDB ping, Temporal DescribeNamespace): well inside a typical 5 s probe timeout, long enough for a ping queued behind busy operations on FerretDB's one-connection pool.",
      expected: 'an integer 100..60000 (milliseconds)',
    }),
  },
});
