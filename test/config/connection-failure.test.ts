/**
 * An unreachable MongoDB or Temporal at start-up is one line naming the variable, the redacted target and the
 * cause (before: the driver's multi-line stack trace, naming neither MONGODB_URI nor TEMPORAL_ADDRESS). Real drivers
 * against a loopback port nobody listens on.
 */
import { describe, expect, test } from 'bun:test';
import { createServer } from 'node:net';
import { NativeConnection } from '@temporalio/worker';
import { loadConfig } from '../../src/config/config';
import { ConnectionFailure, mongoTarget, namedConnect, temporalTarget } from '../../src/config/connection-failure';
import { temporalConnectionOptions } from '../../src/config/temporal-connection';
import { connectMongo } from '../../src/repositories';

const base = { OPENROUTER_API_KEY: 'sk-test', RUNWARE_API_KEY: 'rw-test' };

/** A port that was free a moment ago: connecting to it is refused. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function failure(p: Promise<unknown>): Promise<ConnectionFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!ConnectionFailure.is(err)) throw new Error(`expected a ConnectionFailure, got ${String(err)}`);
  return err;
}

describe('connection failures at start-up', () => {
  test('MongoDB: one line with MONGODB_URI, the URI without its password, and the cause', async () => {
    const port = await closedPort();
    const config = loadConfig({ ...base, MONGODB_URI: `mongodb://admin:hunter2@127.0.0.1:${port}/?directConnection=true` });
    const err = await failure(namedConnect(mongoTarget(config), () => connectMongo(config.mongo)));
    expect(err.message.split('\n')).toHaveLength(1);
    expect(err.message).toStartWith(`cannot connect to MongoDB at mongodb://admin:***@127.0.0.1:${port}/?directConnection=true (MONGODB_URI): `);
    expect(err.message).toContain('ECONNREFUSED');
    expect(err.message).not.toContain('hunter2');
  }, 30_000);

  test('Temporal: one line with the variable the address came from and the cause', async () => {
    const port = await closedPort();
    for (const [variable, env] of [
      ['TEMPORAL_ADDRESS', { TEMPORAL_ADDRESS: `127.0.0.1:${port}` }],
      ['TEMPORAL_HOST', { TEMPORAL_HOST: `127.0.0.1:${port}` }],
    ] as const) {
      const config = loadConfig({ ...base, ...env });
      const err = await failure(namedConnect(temporalTarget(config), () => NativeConnection.connect(temporalConnectionOptions(config.temporal))));
      expect(err.message.split('\n')).toHaveLength(1);
      expect(err.message).toStartWith(`cannot connect to Temporal at 127.0.0.1:${port}, namespace default (${variable}): `);
      expect(err.message.length).toBeGreaterThan(`cannot connect to Temporal at 127.0.0.1:${port}, namespace default (${variable}): `.length + 5);
    }
  }, 60_000);
});
