/**
 * The logger every module takes as a dependency. The implementation (pino, JSON lines on stdout, redaction,
 * activity ids on every line) lives in src/observability/logger.ts; this file keeps the import path and the
 * `createLogger(level, write)` shape callers and tests use.
 */
import { createServiceLogger, type LogLevel, type Logger, type ServiceLogger } from './observability/logger';

export type { LogLevel, Logger, ServiceLogger };

export function createLogger(level: LogLevel = 'info', write?: (line: string) => void): ServiceLogger {
  return createServiceLogger({ level, ...(write ? { write } : {}) });
}
