/**
 * How the worker reaches Temporal, configured the way Temporal users configure every SDK and the CLI:
 * `@temporalio/envconfig` — a TOML profile file (`TEMPORAL_CONFIG_FILE`, default
 * `$XDG_CONFIG_HOME/temporalio/temporal.toml`, profile `TEMPORAL_PROFILE`, default `default`) overridden by the
 * `TEMPORAL_*` variables below. Temporal Cloud is therefore configuration only (API key, or mTLS client
 * certificate). `TEMPORAL_HOST` is kept because the platform's compose file sets it.
 *
 * The profile is loaded here, at configuration time, so a missing file, an unknown profile or an unreadable
 * certificate is a configuration error before anything connects; src/config/temporal-connection.ts turns the
 * result into connection options through the same library.
 */
import { existsSync, readFileSync } from 'node:fs';

import { loadClientConfigProfile, type ClientConfigProfile, type ConfigDataSource } from '@temporalio/envconfig';

import { DeriveProblem, defineSection, envVar, type EnvVar, type RawEnv } from '../define';
import { boolean, BOOLEAN_EXPECTED, text } from '../schemas';

export const TEMPORAL_ADDRESS = envVar({
  name: 'TEMPORAL_ADDRESS',
  schema: text(),
  doc: 'Temporal frontend address (Temporal Cloud: `<namespace>.<account>.tmprl.cloud:7233`, or the regional endpoint with an API key).',
  expected: 'host:port of the Temporal frontend',
  defaultText: "TEMPORAL_HOST, else the profile's address, else localhost:7233 (the dev server)",
  example: 'localhost:7233',
});
export const TEMPORAL_HOST = envVar({
  name: 'TEMPORAL_HOST',
  schema: text(),
  doc: "The platform's (and the original worker's) name for the frontend address; TEMPORAL_ADDRESS wins when both are set.",
  expected: 'host:port of the Temporal frontend (legacy name of TEMPORAL_ADDRESS)',
});
export const TEMPORAL_CONFIG_FILE = envVar({
  name: 'TEMPORAL_CONFIG_FILE',
  schema: text(),
  doc: 'Temporal client profile file (TOML, the format `temporal config` writes); must exist when set.',
  expected: 'a path to a TOML file',
  defaultText: '$XDG_CONFIG_HOME/temporalio/temporal.toml (or ~/.config/…) when it exists',
});
export const TEMPORAL_PROFILE = envVar({
  name: 'TEMPORAL_PROFILE',
  schema: text(),
  doc: 'Profile to use from the profile file; must exist in the file when set.',
  expected: 'a profile name',
  defaultText: '`default`',
});

const pemPath = (name: string, doc: string) => envVar({ name, schema: text(), doc, expected: 'a path to a PEM file' });
/** The PEM text itself, for secret stores that hand out values rather than files. */
const pemData = (name: string, pathVariable: string, secret = false) =>
  envVar({ name, schema: text(), secret, doc: `Same as ${pathVariable}, inline.`, expected: 'a PEM block (inline; newlines kept)' });

const TLS_SERVER_CA_CERT_PATH = pemPath(
  'TEMPORAL_TLS_SERVER_CA_CERT_PATH',
  'CA certificate that signed the server certificate (self-hosted with a private CA); unset = system roots.',
);
const TLS_SERVER_CA_CERT_DATA = pemData('TEMPORAL_TLS_SERVER_CA_CERT_DATA', 'TEMPORAL_TLS_SERVER_CA_CERT_PATH');
const TLS_CLIENT_CERT_PATH = pemPath(
  'TEMPORAL_TLS_CLIENT_CERT_PATH',
  'Client certificate for mTLS (Temporal Cloud with certificates); needs the key too.',
);
const TLS_CLIENT_CERT_DATA = pemData('TEMPORAL_TLS_CLIENT_CERT_DATA', 'TEMPORAL_TLS_CLIENT_CERT_PATH');
const TLS_CLIENT_KEY_PATH = pemPath('TEMPORAL_TLS_CLIENT_KEY_PATH', 'Private key of the client certificate.');
const TLS_CLIENT_KEY_DATA = pemData('TEMPORAL_TLS_CLIENT_KEY_DATA', 'TEMPORAL_TLS_CLIENT_KEY_PATH', true);

const TLS_DISABLE_HOST_VERIFICATION = envVar({
  name: 'TEMPORAL_TLS_DISABLE_HOST_VERIFICATION',
  schema: boolean(),
  doc: 'Not supported by the TypeScript SDK (its TLS options have no such switch): set TEMPORAL_TLS_SERVER_NAME to the name in the server certificate instead. `true` is rejected rather than silently ignored.',
  expected: 'false or unset',
});

/** Where a certificate or key comes from, as envconfig describes it (a path or inline data). */
export type PemSource = { readonly path: string } | { readonly data: string };

/** Reads the variables envconfig itself reads, with the values we parsed (our boolean forms, TEMPORAL_HOST). */
function envconfigEnv(e: Record<string, unknown>, raw: RawEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name.startsWith('TEMPORAL_GRPC_META_') || ['HOME', 'XDG_CONFIG_HOME', 'APPDATA'].includes(name)) out[name] = value;
  }
  const set = (name: string, value: unknown) => {
    if (value !== undefined) out[name] = String(value);
  };
  set('TEMPORAL_ADDRESS', e.address ?? e.host);
  set('TEMPORAL_NAMESPACE', e.namespace);
  set('TEMPORAL_API_KEY', e.apiKey);
  set('TEMPORAL_TLS', e.tls);
  set('TEMPORAL_TLS_SERVER_NAME', e.serverName);
  set('TEMPORAL_TLS_SERVER_CA_CERT_PATH', e.serverCaCertPath);
  set('TEMPORAL_TLS_SERVER_CA_CERT_DATA', e.serverCaCertData);
  set('TEMPORAL_TLS_CLIENT_CERT_PATH', e.clientCertPath);
  set('TEMPORAL_TLS_CLIENT_CERT_DATA', e.clientCertData);
  set('TEMPORAL_TLS_CLIENT_KEY_PATH', e.clientKeyPath);
  set('TEMPORAL_TLS_CLIENT_KEY_DATA', e.clientKeyData);
  return out;
}

/** A PEM source must be readable and hold a PEM block; checked now so a bad path is a config error, not a connect error. */
function checkedPem(source: ConfigDataSource | undefined, variable: EnvVar<unknown>): PemSource | undefined {
  if (source === undefined) return undefined;
  let content: string;
  if ('path' in source) {
    try {
      content = readFileSync(source.path, 'utf8');
    } catch (err) {
      throw new DeriveProblem(variable, `cannot read ${JSON.stringify(source.path)} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  } else {
    content = typeof source.data === 'string' ? source.data : Buffer.from(source.data).toString('utf8');
  }
  if (!content.includes('-----BEGIN ')) throw new DeriveProblem(variable, 'holds no PEM block (-----BEGIN …)');
  return 'path' in source ? { path: source.path } : { data: content };
}

const describeSource = (s: PemSource | undefined) => (s === undefined ? undefined : 'path' in s ? s.path : 'inline');

export default defineSection({
  key: 'temporal',
  title: 'Temporal',
  vars: {
    address: TEMPORAL_ADDRESS,
    host: TEMPORAL_HOST,
    namespace: envVar({
      name: 'TEMPORAL_NAMESPACE',
      schema: text(),
      doc: 'Temporal namespace; world-service starts the root workflow in `default` (spec 17). Temporal Cloud: `<namespace>.<account>`.',
      expected: 'a Temporal namespace name',
      defaultText: "the profile's namespace, else `default`",
    }),
    apiKey: envVar({
      name: 'TEMPORAL_API_KEY',
      schema: text(),
      secret: true,
      doc: 'Temporal Cloud API key (turns TLS on); unset for a self-hosted cluster or mTLS.',
      expected: 'a Temporal Cloud API key, or unset',
    }),
    tls: envVar({
      name: 'TEMPORAL_TLS',
      schema: boolean(),
      doc: 'Connect with TLS.',
      expected: BOOLEAN_EXPECTED,
      defaultText: 'true when an API key or any TEMPORAL_TLS_* setting is present, else false',
    }),
    serverName: envVar({
      name: 'TEMPORAL_TLS_SERVER_NAME',
      schema: text(),
      doc: 'Server name to verify the server certificate against (SNI), when it differs from the address host.',
      expected: 'a DNS name',
    }),
    serverCaCertPath: TLS_SERVER_CA_CERT_PATH,
    serverCaCertData: TLS_SERVER_CA_CERT_DATA,
    clientCertPath: TLS_CLIENT_CERT_PATH,
    clientCertData: TLS_CLIENT_CERT_DATA,
    clientKeyPath: TLS_CLIENT_KEY_PATH,
    clientKeyData: TLS_CLIENT_KEY_DATA,
    disableHostVerification: TLS_DISABLE_HOST_VERIFICATION,
    configFile: TEMPORAL_CONFIG_FILE,
    profile: TEMPORAL_PROFILE,
  },
  // TEMPORAL_GRPC_META_<HEADER>: gRPC metadata on every call (envconfig's convention); TEMPORAL_CODEC_*: the
  // codec server of the CLI and Web UI, read by envconfig's profile but not used by a worker.
  passThroughPrefixes: ['TEMPORAL_GRPC_META_', 'TEMPORAL_CODEC_'],
  derive: (e, _lookup, raw) => {
    if (e.disableHostVerification === true) {
      throw new DeriveProblem(TLS_DISABLE_HOST_VERIFICATION, 'is not supported by the TypeScript SDK; set TEMPORAL_TLS_SERVER_NAME instead');
    }
    if (e.configFile !== undefined && !existsSync(e.configFile)) {
      // envconfig treats a missing file as "no file"; an explicitly named one that is missing is a mistake.
      throw new DeriveProblem(TEMPORAL_CONFIG_FILE, `${JSON.stringify(e.configFile)} does not exist`);
    }
    let profile: ClientConfigProfile;
    try {
      profile = loadClientConfigProfile({
        ...(e.profile !== undefined ? { profile: e.profile } : {}),
        ...(e.configFile !== undefined ? { configSource: { path: e.configFile } } : {}),
        overrideEnvVars: envconfigEnv(e, raw),
      });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw new DeriveProblem(/not found/i.test(message) ? TEMPORAL_PROFILE : TEMPORAL_CONFIG_FILE, message);
    }
    const tls = profile.tls;
    const clientCert = checkedPem(tls?.clientCert, e.clientCertData !== undefined ? TLS_CLIENT_CERT_DATA : TLS_CLIENT_CERT_PATH);
    const clientKey = checkedPem(tls?.clientKey, e.clientKeyData !== undefined ? TLS_CLIENT_KEY_DATA : TLS_CLIENT_KEY_PATH);
    if ((clientCert === undefined) !== (clientKey === undefined)) {
      // envconfig would silently connect without a client certificate; the server would then refuse the handshake.
      throw new DeriveProblem(clientCert ? TLS_CLIENT_KEY_PATH : TLS_CLIENT_CERT_PATH, 'is missing: a client certificate needs its key and the key its certificate');
    }
    const enabled = tls?.disabled === true ? false : tls !== undefined || profile.apiKey !== undefined;
    const fromFile = `the address of profile ${e.profile ?? 'default'} in ${e.configFile ?? 'the Temporal profile file'}`;
    return {
      address: profile.address ?? 'localhost:7233',
      /** Which setting the address came from, for connection errors. */
      addressFrom: e.address !== undefined ? 'TEMPORAL_ADDRESS' : e.host !== undefined ? 'TEMPORAL_HOST' : profile.address !== undefined ? fromFile : 'TEMPORAL_ADDRESS (default)',
      namespace: profile.namespace ?? 'default',
      apiKey: profile.apiKey,
      tls: enabled,
      serverName: tls?.serverName,
      serverCaCert: checkedPem(tls?.serverCACert, e.serverCaCertData !== undefined ? TLS_SERVER_CA_CERT_DATA : TLS_SERVER_CA_CERT_PATH),
      clientCert,
      clientKey,
      /** gRPC metadata sent on every call (profile `grpc_meta`, TEMPORAL_GRPC_META_*). May carry credentials. */
      grpcMeta: { ...(profile.grpcMeta ?? {}) } as Record<string, string>,
      /** The profile file and profile used, for the start-up log line. */
      profile: e.profile ?? 'default',
      configFile: e.configFile,
    };
  },
  describe: (t) => ({
    ...t,
    serverCaCert: describeSource(t.serverCaCert),
    clientCert: describeSource(t.clientCert),
    clientKey: t.clientKey === undefined ? undefined : 'path' in t.clientKey ? t.clientKey.path : 'set',
    grpcMeta: Object.keys(t.grpcMeta),
  }),
});
