/**
 * The service's one logger: JSON lines on stdout, through pino.
 *
 * Why pino: it is the Node logger made for exactly this — one JSON object per line, level checks that cost a
 * comparison when a level is off, and `redact` paths compiled once into a fast serializer — instead of a hand-written
 * JSON printer.
 *
 * Stdout is written asynchronously by sonic-boom (the writer behind `pino.destination`, `sync: false`): lines
 * logged while a write is in flight are joined into the next write, and a full pipe (a slow log collector) makes the
 * writes wait instead of blocking the event loop — synchronous mode sleeps the whole thread 100 ms on every EAGAIN,
 * and a stdout pipe is non-blocking as soon as any code in the process touches `process.stdout` (libuv sets
 * O_NONBLOCK). No line is lost at exit: the worker's exit paths `await flush()` (every line written), and an `exit`
 * hook writes what is left synchronously (an uncaught exception, any other process.exit). The hook cannot take back
 * a chunk whose write(2) is in flight at that instant, hence the awaited flush on every path we own.
 * sonic-boom is a direct dependency at 5.x, not the 4.x inside pino 10: 4.x's `flush(cb)` calls back at once when
 * `minLength` is 0 (nothing awaited), and its `flushSync` drops a chunk waiting for its EAGAIN retry.
 * What the synchronous writes cost in CPU was small (docs/performance-db-runtime.md §4); the point is that logging
 * never stalls activities.
 *
 * Callers pass ids and counts, never payloads or secrets. Two guards back that up: configured `redact` paths censor
 * credential-named fields wherever they sit, and every finished line goes through `redactText` (URL queries,
 * user-info, `api_key=…`), since callers do log error messages. Lines written while an activity runs carry its world
 * id, task id, workflow id, run id, activity type and attempt (see activity-scope.ts).
 */
import { trace } from '@opentelemetry/api';
import pino, { type Logger as Pino } from 'pino';
import SonicBoom from 'sonic-boom';
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
  /** Where each line goes (without its newline); default: stdout, asynchronously (see the file comment). */
  write?: (line: string) => void;
  /** Extra pino redact paths, on top of {@link DEFAULT_REDACT_PATHS}. */
  redactPaths?: readonly string[];
  /** Adds `trace_id`/`span_id` of the active span to each line (only worth its lookup when tracing is on). */
  traceIds?: boolean;
}

export interface ServiceLogger extends Logger {
  /** The pino instance, for the SDK adapter (sdk-logger.ts) and children. */
  readonly pino: Pino;
  /**
   * Resolves once every line logged so far is written (at most `timeoutMs`, default 5 s: a stuck log collector must
   * not hold the shutdown; the exit hook then writes the rest synchronously).
   */
  flush(timeoutMs?: number): Promise<void>;
  /**
   * Logs `message` as this logger's last line and drops every line logged after it (its pino children too, so the
   * SDK's lines, which the worker writes through it: observability/index.ts), then flushes: for an exit that must say why it happened. Without it, lines logged while the
   * flush waits (the SDK reporting the drain it is in, an activity failing) would land after the reason.
   */
  last(level: LogLevel, message: string, fields?: Record<string, unknown>, timeoutMs?: number): Promise<void>;
}

export function createServiceLogger(opts: LoggerOptions = {}): ServiceLogger {
  const write = opts.write;
  const stdout = write ? undefined : stdoutStream();
  // Every line of every logger goes through `sink`, so `last()` can close it for all of them at once.
  const sink = write ? (s: string) => write(s.endsWith('\n') ? s.slice(0, -1) : s) : (s: string) => stdout!.write(s);
  let closed = false;
  const destination = { write: (s: string) => (closed ? true : sink(s)) };
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
  const flush = (timeoutMs = 5000) => (stdout ? flushStream(stdout, timeoutMs) : Promise.resolve());
  return {
    ...wrap(p, flush),
    last: (level, message, fields, timeoutMs) => {
      p[level](fields ?? {}, message);
      closed = true;
      return flush(timeoutMs);
    },
  };
}

/** One writer for fd 1 per process, however many loggers write to stdout (two buffers would interleave). */
let shared: SonicBoom | undefined;
function stdoutStream(): SonicBoom {
  if (shared) return shared;
  const stream = new SonicBoom({ fd: 1, sync: false });
  process.once('exit', () => {
    try {
      stream.flushSync();
    } catch {
      // stdout closed or broken: nothing left to write to
    }
  });
  // As pino.destination does: a reader that went away (EPIPE) ends logging instead of crashing the process.
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') stream.write = () => true;
    else process.stderr.write(`stdout log write failed: ${err.message}\n`);
  });
  return (shared = stream);
}

function flushStream(stream: SonicBoom, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref();
    stream.flush(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

function withTraceIds(): object {
  const scope = currentActivityScope() ?? {};
  const span = trace.getActiveSpan()?.spanContext();
  return span ? { ...scope, trace_id: span.traceId, span_id: span.spanId } : scope;
}

function wrap(p: Pino, flush: (timeoutMs?: number) => Promise<void>): Omit<ServiceLogger, 'last'> {
  return {
    pino: p,
    flush,
    debug: (message, fields) => p.debug(fields ?? {}, message),
    info: (message, fields) => p.info(fields ?? {}, message),
    warn: (message, fields) => p.warn(fields ?? {}, message),
    error: (message, fields) => p.error(fields ?? {}, message),
  };
}
