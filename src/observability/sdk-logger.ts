/**
 * The Temporal SDK's logs (worker, workflow and activity loggers, and Rust core's through `logging.forward`) written
 * as our JSON lines instead of the SDK's multi-line coloured text: `Runtime.install({ logger: new SdkLogger(…) })`.
 *
 * The SDK's metadata becomes the same snake_case fields our own lines use — `workflow_id`, `run_id`, `activity_type`,
 * `attempt`, and `world_id` taken from the workflow id — so one query finds every line of a world. Errors are
 * reduced to their type and first message line (no stacks): an activity failing on every retry would otherwise
 * print the same stack dozens of times (see failure-summary.ts).
 */
import type { LogLevel as SdkLogLevel, LogMetadata, Logger as SdkLoggerContract } from '@temporalio/common';
import type { Logger as Pino } from 'pino';
import { worldIdOfWorkflow } from './activity-scope';
import { createFailureSummary, type FailureSummary } from './failure-summary';

const RENAMED: Record<string, string> = {
  workflowId: 'workflow_id',
  runId: 'run_id',
  workflowRunId: 'run_id',
  workflowType: 'workflow_type',
  activityType: 'activity_type',
  activityId: 'activity_id',
  taskQueue: 'task_queue',
  sdkComponent: 'sdk_component',
  durationMs: 'duration_ms',
  isLocal: 'is_local',
};
/** SDK metadata that says nothing an operator needs (or is bulky): dropped. */
const DROPPED = new Set(['taskToken', 'spanContexts']);

const LEVELS: Record<SdkLogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

export function errorFields(err: unknown): Record<string, unknown> {
  if (err instanceof Error) {
    const firstLine = err.message.split('\n', 1)[0] ?? '';
    return { error_type: err.name, error: firstLine.slice(0, 500) };
  }
  return { error: String(err).slice(0, 500) };
}

export function fieldsOf(meta: LogMetadata | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!meta) return out;
  for (const [key, value] of Object.entries(meta)) {
    if (DROPPED.has(key) || value === undefined) continue;
    if (key === 'error' || key === 'failure' || value instanceof Error) {
      Object.assign(out, errorFields(value));
      continue;
    }
    out[RENAMED[key] ?? key] = value;
  }
  const worldId = worldIdOfWorkflow(typeof out.workflow_id === 'string' ? out.workflow_id : undefined);
  if (worldId && out.world_id === undefined) out.world_id = worldId;
  return out;
}

export class SdkLogger implements SdkLoggerContract {
  private readonly failures: FailureSummary;

  constructor(
    private readonly pino: Pino,
    opts: { failureWindowMs?: number; now?: () => number } = {},
  ) {
    this.failures = createFailureSummary((fields, message) => this.pino.warn(fields, message), opts);
  }

  log(level: SdkLogLevel, message: string, meta?: LogMetadata): void {
    const at = LEVELS[level] ?? 'info';
    if (!this.pino.isLevelEnabled(at)) return;
    const fields = fieldsOf(meta);
    if (message === 'Activity failed' && at === 'warn' && !this.failures.admit(fields)) return;
    this.pino[at](fields, message);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
  /** Writes the summaries of failures still held back (call at shutdown). */
  flush(): void {
    this.failures.flush();
  }
}
