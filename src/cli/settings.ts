/**
 * Where the CLI finds Temporal and MongoDB: the worker's own declarations (src/config), so the address, namespace,
 * API key, TLS/mTLS and Temporal profile file (@temporalio/envconfig) work exactly as they do for the worker — a
 * Temporal Cloud namespace is configuration only here too.
 *
 * The CLI needs none of the worker's provider keys, but the declarations require them; they are filled with a
 * placeholder the CLI never uses, so an operator's shell does not need them.
 */
import { ConfigError, loadConfig, type Config } from '../config/config';
import { VARIABLES } from '../config/registry';
import { usageError } from './errors';
import type { DataConverter } from '@temporalio/common';
import { dataConverterFromConfig } from '../codec/data-converter';

export interface CliSettings {
  temporal: Config['temporal'];
  temporalAddress: string;
  /** Which setting the address came from, for error messages. */
  temporalVariable: string;
  namespace: string;
  mongoUri: string;
  mongoVariable: string;
  database: string;
  taskQueue: string;
  /** The payload codec the workers use (PAYLOAD_CODEC_KEYS), so the CLI writes encrypted inputs and reads encrypted results. */
  dataConverter: DataConverter | undefined;
}

const NOT_USED_BY_THE_CLI = 'not-used-by-the-cli';

export function readSettings(env: Record<string, string | undefined> = process.env): CliSettings {
  const filled = { ...env };
  for (const v of VARIABLES) if (v.required && !env[v.name]?.trim()) filled[v.name] = NOT_USED_BY_THE_CLI;
  let config: Config;
  try {
    config = loadConfig(filled);
  } catch (err) {
    if (ConfigError.is(err)) throw usageError(err.message);
    throw err;
  }
  return {
    temporal: config.temporal,
    dataConverter: dataConverterFromConfig(config),
    temporalAddress: config.temporal.address,
    temporalVariable: config.temporal.addressFrom,
    namespace: config.temporal.namespace,
    mongoUri: config.mongo.uri,
    mongoVariable: env.MONGODB_URI?.trim() ? 'MONGODB_URI' : 'MONGODB_URI (default)',
    database: config.mongo.database,
    // world-service's queue for the root (spec 12); not configurable there either.
    taskQueue: 'ai-worker-main',
  };
}

export { redactUri } from '../config/config';
