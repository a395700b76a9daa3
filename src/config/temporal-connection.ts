/**
 * Connection options for Temporal from the loaded configuration, through `@temporalio/envconfig`'s own
 * `toClientOptions` — the same mapping every Temporal SDK applies to a profile (TLS on with an API key, the CA,
 * the client certificate pair, the server name, gRPC metadata). Works for `NativeConnection.connect` (worker) and
 * `Connection.connect` (client) alike.
 */
import { toClientOptions, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';

import type { Config } from './load';
import type { PemSource } from './vars/temporal';

const source = (s: PemSource | undefined): ConfigDataSource | undefined =>
  s === undefined ? undefined : 'path' in s ? { path: s.path } : { data: s.data };

export function temporalConnectionOptions(t: Config['temporal']): NativeConnectionOptions {
  const profile: ClientConfigProfile = {
    address: t.address,
    namespace: t.namespace,
    ...(t.apiKey !== undefined ? { apiKey: t.apiKey } : {}),
    ...(Object.keys(t.grpcMeta).length > 0 ? { grpcMeta: { ...t.grpcMeta } } : {}),
    tls: t.tls
      ? {
          ...(t.serverName !== undefined ? { serverName: t.serverName } : {}),
          ...(t.serverCaCert ? { serverCACert: source(t.serverCaCert)! } : {}),
          ...(t.clientCert ? { clientCert: source(t.clientCert)! } : {}),
          ...(t.clientKey ? { clientKey: source(t.clientKey)! } : {}),
        }
      : { disabled: true },
  };
  const { connectionOptions } = toClientOptions(profile);
  // No undefined keys: the options stay minimal, so they compare (tests) and read (logs) as what was configured.
  return Object.fromEntries(Object.entries(connectionOptions).filter(([, v]) => v !== undefined)) as NativeConnectionOptions;
}
