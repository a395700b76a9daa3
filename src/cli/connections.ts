/**
 * Lazily opened connections to Temporal and MongoDB. A server that does not answer becomes one line naming the
 * variable to fix and the (redacted) target, exit code 4 — never a driver stack trace.
 */
import { Client, Connection, type ConnectionOptions } from '@temporalio/client';
import { temporalConnectionOptions } from '../config/temporal-connection';
import { MongoClient, type Db } from 'mongodb';
import { CliError, EXIT } from './errors';
import { dataConverterOption } from '../codec/data-converter';
import { redactUri, type CliSettings } from './settings';

const CONNECT_TIMEOUT_MS = 5_000;

export interface Connections {
  settings: CliSettings;
  temporal(): Promise<Client>;
  db(): Promise<Db>;
  close(): Promise<void>;
}

const causeOf = (err: unknown) => (err instanceof Error ? err.message.split('\n')[0] : String(err));

export function openConnections(settings: CliSettings): Connections {
  let temporal: Promise<{ connection: Connection; client: Client }> | undefined;
  let mongo: Promise<MongoClient> | undefined;

  return {
    settings,
    async temporal() {
      temporal ??= (async () => {
        try {
          // The worker's mapping of address, API key, TLS and metadata (envconfig), shared by both connection kinds.
          const options = temporalConnectionOptions(settings.temporal) as ConnectionOptions;
          const connection = await Connection.connect({ ...options, connectTimeout: CONNECT_TIMEOUT_MS });
          // connect() succeeds lazily on some failures; one cheap call proves the namespace answers.
          await connection.workflowService.describeNamespace({ namespace: settings.namespace });
          return { connection, client: new Client({ connection, namespace: settings.namespace, ...dataConverterOption(settings.dataConverter) }) };
        } catch (err) {
          throw new CliError(
            `cannot reach Temporal at ${settings.temporalAddress} (${settings.temporalVariable}, namespace ${settings.namespace}): ${causeOf(err)}`,
            EXIT.unreachable,
          );
        }
      })();
      return (await temporal).client;
    },
    async db() {
      mongo ??= (async () => {
        const client = new MongoClient(settings.mongoUri, { serverSelectionTimeoutMS: CONNECT_TIMEOUT_MS, connectTimeoutMS: CONNECT_TIMEOUT_MS });
        try {
          await client.connect();
          await client.db(settings.database).command({ ping: 1 });
          return client;
        } catch (err) {
          await client.close().catch(() => {});
          throw new CliError(
            `cannot reach MongoDB at ${redactUri(settings.mongoUri)} (${settings.mongoVariable}): ${causeOf(err)}`,
            EXIT.unreachable,
          );
        }
      })();
      return (await mongo).db(settings.database);
    },
    async close() {
      const t = temporal;
      const m = mongo;
      temporal = mongo = undefined;
      await Promise.allSettled([t?.then((x) => x.connection.close()), m?.then((c) => c.close())]);
    },
  };
}
