/**
 * A dependency that cannot be reached at start-up is reported in one line an operator can act on — which variable
 * points there, where it points (redacted), and why it failed — instead of a driver's stack trace that names
 * neither `MONGODB_URI` nor `TEMPORAL_ADDRESS`.
 */
import type { Config } from './load';
import { redactUri } from './redact';

/** The error a failed start-up connection becomes; main prints its message alone (no stack). */
export class ConnectionFailure extends Error {
  override readonly name = 'ConnectionFailure';
  constructor(
    readonly what: string,
    readonly variable: string,
    readonly target: string,
    cause: unknown,
  ) {
    super(`cannot connect to ${what} at ${target} (${variable}): ${causeText(cause)}`, { cause });
  }
  static is(e: unknown): e is ConnectionFailure {
    return e instanceof Error && e.name === 'ConnectionFailure';
  }
}

/** First line of the error and of its causes, de-duplicated, with any URI password hidden. */
function causeText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    const line = (cur instanceof Error ? cur.message : String(cur)).split('\n')[0]!.trim();
    if (line !== '' && !parts.some((p) => p.includes(line))) parts.push(line);
    cur = cur instanceof Error ? cur.cause : undefined;
  }
  // A URI anywhere in a driver message: hide the password of its userinfo.
  return (parts.join(': ') || 'unknown error').replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*):[^@/\s]*@/gi, '$1:***@');
}

export interface ConnectionTarget {
  readonly what: string;
  readonly variable: string;
  readonly target: string;
}

export const mongoTarget = (config: Config): ConnectionTarget => ({
  what: 'MongoDB',
  variable: 'MONGODB_URI',
  target: redactUri(config.mongo.uri),
});

export const temporalTarget = (config: Config): ConnectionTarget => ({
  what: 'Temporal',
  variable: config.temporal.addressFrom,
  target: `${config.temporal.address}${config.temporal.tls ? ' (TLS)' : ''}, namespace ${config.temporal.namespace}`,
});

/**
 * The namespace, checked right after connecting: otherwise the first Worker.create fails with a multi-line
 * core error ("Namespace x was not found or otherwise could not be described: Status { … }").
 */
export const namespaceTarget = (config: Config): ConnectionTarget => ({
  what: 'the Temporal namespace',
  variable: 'TEMPORAL_NAMESPACE',
  target: `${config.temporal.namespace} on ${config.temporal.address}`,
});

/** Runs a start-up connection and turns its failure into a {@link ConnectionFailure}. */
export async function namedConnect<T>(target: ConnectionTarget, connect: () => Promise<T>): Promise<T> {
  try {
    return await connect();
  } catch (err) {
    throw new ConnectionFailure(target.what, target.variable, target.target, err);
  }
}
