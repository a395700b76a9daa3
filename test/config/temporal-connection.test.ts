/**
 * Temporal connections configured as Temporal users configure them (envconfig profile + TEMPORAL_* variables).
 * The certificates are generated per run with openssl: a private CA, a server certificate for a name that is not
 * the address host (so TEMPORAL_TLS_SERVER_NAME matters), and a client certificate for mTLS.
 *
 * The real-connection test puts a TLS-terminating proxy in front of the local dev server (which has no TLS): it
 * requires a client certificate signed by the CA, so the worker's NativeConnection must present the configured
 * pair, verify the server against the configured CA and name, and then speak gRPC through it.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, describeConfig, loadConfig } from '../../src/config/config';
import { ConnectionFailure, namedConnect, namespaceTarget } from '../../src/config/connection-failure';
import { temporalConnectionOptions } from '../../src/config/temporal-connection';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';

const base = { OPENROUTER_API_KEY: 'sk-test', RUNWARE_API_KEY: 'rw-test' };
const SERVER_NAME = 'temporal.cloud-like.test';
let dir: string;
const file = (name: string) => join(dir, name);

function openssl(...args: string[]) {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'generia-tls-'));
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=test-ca');
  for (const [name, cn, ext] of [
    ['server', SERVER_NAME, `subjectAltName=DNS:${SERVER_NAME}\nextendedKeyUsage=serverAuth`],
    ['client', 'generia-worker', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    writeFileSync(file(`${name}.ext`), `${ext}\n`);
    openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.pem`, '-days', '1', '-extfile', `${name}.ext`);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cloudProfile(address: string) {
  writeFileSync(
    file('temporal.toml'),
    [
      '[profile.default]',
      'address = "localhost:7233"',
      '',
      '[profile.cloud]',
      `address = "${address}"`,
      'namespace = "generia.a1b2c"',
      '[profile.cloud.tls]',
      `server_ca_cert_path = "${file('ca.pem')}"`,
      `client_cert_path = "${file('client.pem')}"`,
      `client_key_path = "${file('client.key')}"`,
      `server_name = "${SERVER_NAME}"`,
      '[profile.cloud.grpc_meta]',
      'x-team = "worlds"',
      '',
    ].join('\n'),
  );
  return { ...base, TEMPORAL_CONFIG_FILE: file('temporal.toml'), TEMPORAL_PROFILE: 'cloud' };
}

describe('Temporal connection options', () => {
  test('a Cloud-like mTLS profile gives the address, namespace, CA, client pair, server name and metadata', () => {
    const config = loadConfig(cloudProfile('generia.a1b2c.tmprl.cloud:7233'));
    expect(config.temporal).toMatchObject({ address: 'generia.a1b2c.tmprl.cloud:7233', namespace: 'generia.a1b2c', tls: true });
    const options = temporalConnectionOptions(config.temporal);
    expect(options.address).toBe('generia.a1b2c.tmprl.cloud:7233');
    expect(options.apiKey).toBeUndefined();
    expect(options.metadata).toEqual({ 'x-team': 'worlds' });
    const tls = options.tls as { serverNameOverride?: string; serverRootCACertificate?: Buffer; clientCertPair?: { crt: Buffer; key: Buffer } };
    expect(tls.serverNameOverride).toBe(SERVER_NAME);
    expect(Buffer.from(tls.serverRootCACertificate!).toString()).toBe(readFileSync(file('ca.pem'), 'utf8'));
    expect(Buffer.from(tls.clientCertPair!.crt).toString()).toBe(readFileSync(file('client.pem'), 'utf8'));
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toBe(readFileSync(file('client.key'), 'utf8'));
    // The log view names the files but never carries a key.
    const described = JSON.stringify(describeConfig(config));
    expect(described).toContain(file('client.pem'));
    expect(described).not.toContain('PRIVATE KEY');
  });

  test('environment variables override the profile; inline PEM data and an API key work without a file', () => {
    const env = { ...cloudProfile('from-file:7233'), TEMPORAL_ADDRESS: 'from-env:7233', TEMPORAL_NAMESPACE: 'other' };
    expect(loadConfig(env).temporal).toMatchObject({ address: 'from-env:7233', namespace: 'other' });
    const key = readFileSync(file('client.key'), 'utf8');
    const inline = loadConfig({
      ...base,
      TEMPORAL_ADDRESS: 'x:7233',
      TEMPORAL_TLS_CLIENT_CERT_DATA: readFileSync(file('client.pem'), 'utf8'),
      TEMPORAL_TLS_CLIENT_KEY_DATA: key,
    });
    const tls = temporalConnectionOptions(inline.temporal).tls as { clientCertPair?: { key: Buffer } };
    expect(Buffer.from(tls.clientCertPair!.key).toString()).toBe(key.trim());
    expect(JSON.stringify(describeConfig(inline))).not.toContain('PRIVATE KEY');
    const cloudKey = temporalConnectionOptions(loadConfig({ ...base, TEMPORAL_ADDRESS: 'r.aws.api.temporal.io:7233', TEMPORAL_API_KEY: 'k' }).temporal);
    expect(cloudKey).toMatchObject({ address: 'r.aws.api.temporal.io:7233', apiKey: 'k', tls: {} });
    // TEMPORAL_HOST (the platform's name) still works, and the dev server default is plain text.
    expect(temporalConnectionOptions(loadConfig({ ...base, TEMPORAL_HOST: 'temporal:7233' }).temporal)).toEqual({ address: 'temporal:7233', tls: false });
  });

  test('mistakes are configuration errors naming the variable, before anything connects', () => {
    const problems = (env: Record<string, string>) => {
      try {
        loadConfig({ ...base, ...env });
      } catch (e) {
        if (ConfigError.is(e)) return e.problems.map((p) => `${p.variable}: ${p.problem}`);
      }
      return [];
    };
    expect(problems({ TEMPORAL_CONFIG_FILE: file('missing.toml') })[0]).toMatch(/^TEMPORAL_CONFIG_FILE: .*does not exist/);
    expect(problems({ ...cloudProfile('a:1'), TEMPORAL_PROFILE: 'nope' })[0]).toMatch(/^TEMPORAL_PROFILE: Profile 'nope' not found/);
    expect(problems({ TEMPORAL_TLS_CLIENT_CERT_PATH: file('client.pem') })[0]).toMatch(/^TEMPORAL_TLS_CLIENT_KEY_PATH: is missing/);
    expect(problems({ TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('nope.pem') })[0]).toMatch(/^TEMPORAL_TLS_SERVER_CA_CERT_PATH: cannot read .*ENOENT/);
    expect(problems({ TEMPORAL_TLS_CLIENT_KEY_DATA: 'hunter2', TEMPORAL_TLS_CLIENT_CERT_DATA: 'x' }).join('\n')).not.toContain('hunter2');
    expect(problems({ TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: 'true' })[0]).toMatch(/^TEMPORAL_TLS_DISABLE_HOST_VERIFICATION: is not supported/);
  });
});

describe('a real mTLS connection', () => {
  let proxy: Server | undefined;
  const clientsSeen: string[] = [];
  afterAll(() => proxy?.close());

  test(
    'the worker connects through a TLS proxy that requires the configured client certificate',
    async () => {
      const stack = await getStack();
      const [host, port] = [stack.temporalAddress.slice(0, stack.temporalAddress.lastIndexOf(':')), Number(stack.temporalAddress.split(':').pop())];
      // Stand-in for Temporal Cloud's mTLS endpoint: terminates TLS (h2 via ALPN, as a gRPC server does) and pipes the
      // plain HTTP/2 bytes to the dev server.
      proxy = createServer(
        {
          key: readFileSync(file('server.key')),
          cert: readFileSync(file('server.pem')),
          ca: readFileSync(file('ca.pem')),
          requestCert: true,
          rejectUnauthorized: true,
          ALPNProtocols: ['h2'],
        },
        (socket: TLSSocket) => {
          clientsSeen.push(String(socket.getPeerCertificate().subject?.CN));
          const upstream = netConnect(port, host);
          socket.pipe(upstream).pipe(socket);
          const end = () => (socket.destroy(), upstream.destroy());
          socket.on('error', end);
          upstream.on('error', end);
        },
      );
      await new Promise<void>((resolve) => proxy!.listen(0, '127.0.0.1', resolve));
      const address = `127.0.0.1:${(proxy.address() as { port: number }).port}`;

      const config = loadConfig({ ...cloudProfile(address), TEMPORAL_NAMESPACE: 'default' });
      const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
      try {
        const ns = await connection.workflowService.describeNamespace({ namespace: 'default' });
        expect(ns.namespaceInfo?.name).toBe('default');
      } finally {
        await connection.close();
      }
      expect(clientsSeen).toContain('generia-worker');

      // Without the client pair the proxy (like Cloud) refuses the handshake.
      const noCert = loadConfig({ ...base, TEMPORAL_ADDRESS: address, TEMPORAL_TLS_SERVER_CA_CERT_PATH: file('ca.pem'), TEMPORAL_TLS_SERVER_NAME: SERVER_NAME });
      const failed = await NativeConnection.connect(temporalConnectionOptions(noCert.temporal)).then(
        async (c) => (await c.close(), 'connected'),
        (e: unknown) => String(e),
      );
      expect(failed).not.toBe('connected');

      // A namespace that does not exist is one line naming TEMPORAL_NAMESPACE (the worker checks it right after
      // connecting, before Worker.create would fail with a multi-line core error).
      const wrongNs = loadConfig({ ...base, TEMPORAL_ADDRESS: stack.temporalAddress, TEMPORAL_NAMESPACE: 'generia.nope' });
      const plain = await NativeConnection.connect(temporalConnectionOptions(wrongNs.temporal));
      try {
        const err = await namedConnect(namespaceTarget(wrongNs), () => plain.workflowService.describeNamespace({ namespace: 'generia.nope' })).catch((e: unknown) => e);
        expect(ConnectionFailure.is(err)).toBe(true);
        expect((err as Error).message).toMatch(/^cannot connect to the Temporal namespace at generia\.nope on .* \(TEMPORAL_NAMESPACE\): .*not found/);
        expect((err as Error).message.split('\n')).toHaveLength(1);
      } finally {
        await plain.close();
      }
    },
    STACK_TIMEOUT_MS,
  );
});
