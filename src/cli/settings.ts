/**
 * Where the CLI finds Temporal and MongoDB: the same variables the worker reads (TEMPORAL_ADDRESS or the legacy
 * TEMPORAL_HOST, TEMPORAL_NAMESPACE, MONGODB_URI, MONGODB_DATABASE) with the same defaults, read here rather than
 * through src/config because the CLI needs none of the worker's secrets and must not demand them.
 */
export interface CliSettings {
  temporalAddress: string;
  /** Which variable the address came from, for error messages. */
  temporalVariable: 'TEMPORAL_ADDRESS' | 'TEMPORAL_HOST' | 'default';
  namespace: string;
  mongoUri: string;
  mongoVariable: 'MONGODB_URI' | 'default';
  database: string;
  taskQueue: string;
}

const set = (v: string | undefined) => (v !== undefined && v.trim() !== '' ? v.trim() : undefined);

export function readSettings(env: Record<string, string | undefined> = process.env): CliSettings {
  const address = set(env.TEMPORAL_ADDRESS);
  const host = set(env.TEMPORAL_HOST);
  const mongo = set(env.MONGODB_URI);
  return {
    temporalAddress: address ?? host ?? 'localhost:7233',
    temporalVariable: address ? 'TEMPORAL_ADDRESS' : host ? 'TEMPORAL_HOST' : 'default',
    namespace: set(env.TEMPORAL_NAMESPACE) ?? 'default',
    mongoUri: mongo ?? 'mongodb://localhost:27017/',
    mongoVariable: mongo ? 'MONGODB_URI' : 'default',
    database: set(env.MONGODB_DATABASE) ?? 'generia_ai_worker',
    // world-service's queue for the root (spec 12); not configurable there either.
    taskQueue: 'ai-worker-main',
  };
}

/** A URI with any password replaced, for messages. */
export function redactUri(uri: string): string {
  return uri.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}
