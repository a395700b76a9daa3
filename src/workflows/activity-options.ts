/**
 * Activity option presets, one per task queue. Every group states its own retry policy because the
 * SDK default retries forever; a world must fail, not loop, when a step cannot succeed.
 * Workflow-safe: no I/O, imported by workflow code.
 */
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';
import { ErrorTypes } from '../domain/error-types';
import { TaskQueues } from '../domain/task-queues';

const NON_RETRYABLE = Object.values(ErrorTypes);

/** Long activities beat every second (activities/heartbeat.ts); ten missed beats mean a lost worker. */
const HEARTBEAT_TIMEOUT = '10 seconds';

/**
 * Every group waits for a cancelled activity to really stop (the SDK's own default is TRY_CANCEL:
 * report at once, let the attempt run on). A cancelled world is then settled only when nothing of it
 * is still running, a late bookkeeping write cannot land after the clean-up, and a service call that
 * commits while its workflow is being cancelled is reported as done, so the world counts it.
 */
const WAIT_FOR_STOP = { cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED } as const;

export const progressActivityOptions: ActivityOptions = {
  ...WAIT_FOR_STOP,
  taskQueue: TaskQueues.progress,
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '500 ms', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 10, nonRetryableErrorTypes: NON_RETRYABLE },
};

/**
 * LLM completions can legitimately take minutes (long JSON, slow models); the HTTP client's own
 * timeout (LLM_TIMEOUT_MS) is the tighter bound, this one only catches a lost worker.
 */
export const llmActivityOptions: ActivityOptions = {
  taskQueue: TaskQueues.llm,
  startToCloseTimeout: '12 minutes',
  // Heartbeats (see activities/heartbeat.ts) let Temporal notice a dead worker in seconds rather
  // than at the start-to-close timeout, and carry cancellation into the running request: the SDK
  // sends one to the server at most every 0.8 × this timeout, so this also bounds how long a
  // cancelled world waits for its in-flight requests to stop.
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  ...WAIT_FOR_STOP,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
};

/** Generation + download + presign + PUT + confirm run in one activity so bytes never touch Temporal. */
export const imageActivityOptions: ActivityOptions = {
  taskQueue: TaskQueues.images,
  startToCloseTimeout: '6 minutes',
  heartbeatTimeout: HEARTBEAT_TIMEOUT,
  ...WAIT_FOR_STOP,
  retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 5, nonRetryableErrorTypes: NON_RETRYABLE },
};

export const serviceActivityOptions: ActivityOptions = {
  ...WAIT_FOR_STOP,
  taskQueue: TaskQueues.services,
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '30 seconds', maximumAttempts: 8, nonRetryableErrorTypes: NON_RETRYABLE },
};
