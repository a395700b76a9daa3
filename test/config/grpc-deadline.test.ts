/**
 * GRPC_DEADLINE_MS must stay well below the services activity's start-to-close timeout, or a call could outlive
 * its attempt and commit beside the retry Temporal has already started.
 */
import { describe, expect, test } from 'bun:test';
import { msToNumber } from '@temporalio/common/lib/time';
import { ConfigError, loadConfig, MAX_GRPC_DEADLINE_MS, SERVICES_ACTIVITY_TIMEOUT_MS } from '../../src/config/config';
import { serviceActivityOptions } from '../../src/workflows/activity-options';

const base = { OPENROUTER_API_KEY: 'sk-test', RUNWARE_API_KEY: 'rw-test' };

function problemsOf(env: Record<string, string>) {
  try {
    loadConfig({ ...base, ...env });
  } catch (e) {
    if (ConfigError.is(e)) return e;
  }
  throw new Error('expected a ConfigError');
}

describe('GRPC_DEADLINE_MS', () => {
  test('the bound follows the services activity options (config cannot import workflow code)', () => {
    expect(msToNumber(serviceActivityOptions.startToCloseTimeout!)).toBe(SERVICES_ACTIVITY_TIMEOUT_MS);
    expect(MAX_GRPC_DEADLINE_MS).toBe(SERVICES_ACTIVITY_TIMEOUT_MS / 4);
  });

  test('the default and the bound itself are accepted', () => {
    expect(loadConfig(base).services.deadlineMs).toBe(15_000);
    expect(loadConfig({ ...base, GRPC_DEADLINE_MS: String(MAX_GRPC_DEADLINE_MS) }).services.deadlineMs).toBe(MAX_GRPC_DEADLINE_MS);
  });

  test('a deadline near or above the activity timeout is a config error naming the variable and the bound', () => {
    for (const value of ['15001', '60000', '120000']) {
      const err = problemsOf({ GRPC_DEADLINE_MS: value });
      expect(err.problems.map((p) => p.variable)).toEqual(['GRPC_DEADLINE_MS']);
      expect(err.message).toContain('GRPC_DEADLINE_MS');
      expect(err.message).toContain(`at most ${MAX_GRPC_DEADLINE_MS}`);
      expect(err.message).toContain(`${SERVICES_ACTIVITY_TIMEOUT_MS} ms start-to-close timeout`);
    }
    expect(problemsOf({ GRPC_DEADLINE_MS: 'soon' }).message).toContain('is not an integer');
  });
});
