/**
 * The service's one logger: JSON lines on stdout, through pino.
 *
 * Why pino: it is the Node logger made for exactly this — one JSON object per line, synchronous writes to fd 1 (no
 * line lost when the process exits right after logging), level checks that cost a comparison when a level is off,
 * and `redact` paths compiled once into a fast serializer — instead of a hand-written JSON printer.
 *
 * Callers pass ids and counts, never payloads or secrets. Two guards back that up: configured `redact` paths censor
 * credential-named fields wherever they sit, and every finished line goes through `redactText` (URL queries,
 * user-info, `api_key=…`), since callers do log error messages. Lines written while an activity runs carry its world
 * id, task id, workflow id, run id, activity type and attempt (see activity-scope.ts).
 */
import { trace } from '@opentelemetry/api';
import pino, { type Logger as Pino } from 'pino';
import { redactText } from '../domain/redact';
import { currentActivityScope } from './activity-scope';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

/**
 * Field paths censored in every line (pino `redact` syntax). Credentials are never meant to be logged; these catch a
 * caller that logs an options object or a request by mistake.
 */
export const DEFAULT_REDACT_PATHS: readonly string[] = [
  'apiKey',
  'api_key',
  'password',
  'authorization',
  'token',
  '*.apiKey',
  '*.api_key',
  '*.password',
  '*.authorization',
  '*.token',
  '*.*.apiKey',
  '*.*.api_key',
  '*.*.password',
  'headers.authorization',
  '*.headers.authorization',
  'headers.Authorization',
  '*.headers.Authorization',
];

export interface LoggerOptions {
  level?: LogLevel;
  /** Where each line goes (without its newline); default: stdout, synchronously. */
  write?: (line: string) => void;
  /** Extra pino redact paths, on top of {@link DEFAULT_REDACT_PATHS}. */
  redactPaths?: readonly string[];
  /** Adds `trace_id`/`span_id` of the active span to each line (only worth its lookup when tracing is on). */
  traceIds?: boolean;
}

export interface ServiceLogger extends Logger {
  /** The pino instance, for the SDK adapter (sdk-logger.ts) and children. */
  readonly pino: Pino;
}

export function createServiceLogger(opts: LoggerOptions = {}): ServiceLogger {
  const write = opts.write;
  const destination = write ? { write: (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) } : pino.destination({ fd: 1, sync: true });
  const p = pino(
    {
      level: opts.level ?? 'info',
      messageKey: 'message',
      base: { service: 'ai-worker' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: [...DEFAULT_REDACT_PATHS, ...(opts.redactPaths ?? [])], censor: '[redacted]' },
      // Called only for lines that pass the level check; without tracing it returns the scope object itself (no copy).
      mixin: opts.traceIds ? withTraceIds : () => currentActivityScope() ?? {},
      hooks: { streamWrite: (line) => redactText(line) },
    },
    destination,
  );
  return wrap(p);
}

function withTraceIds(): object {
  const scope = currentActivityScope() ?? {};
  const span = trace.getActiveSpan()?.spanContext();
  return span ? { ...scope, trace_id: span.traceId, span_id: span.spanId } : scope;
}

function wrap(p: Pino): ServiceLogger {
  return {
    pino: p,
    debug: (message, fields) => p.debug(fields ?? {}, message),
    info: (message, fields) => p.info(fields ?? {}, message),
    warn: (message, fields) => p.warn(fields ?? {}, message),
    error: (message, fields) => p.error(fields ?? {}, message),
  };
}
