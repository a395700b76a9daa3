import { describe, expect, test } from 'bun:test';
import { Code, ConnectError } from '@connectrpc/connect';
import { ApplicationFailure } from '@temporalio/common';
import { InvalidModelOutputError, ProviderHttpError, ProviderTimeoutError } from '../src/clients/provider-errors';
import { PermanentStepError, toApplicationFailure } from '../src/errors';
import { NotFoundError } from '../src/repositories';
import { ErrorTypes } from '../src/domain/error-types';

const http = (status: number, retryAfterMs?: number) => new ProviderHttpError({ provider: 'llm', status, bodySnippet: 'x', retryAfterMs });

describe('toApplicationFailure decides what Temporal may retry', () => {
  test('429 retries after the provider’s Retry-After', () => {
    const f = toApplicationFailure(http(429, 2000), 'LLM');
    expect(f.nonRetryable).toBe(false);
    expect(f.nextRetryDelay).toBe(2000);
  });

  test('5xx and timeouts retry on the normal backoff', () => {
    for (const err of [http(503), http(500), new ProviderTimeoutError('llm', 1000)]) {
      const f = toApplicationFailure(err, 'LLM');
      expect(f.nonRetryable).toBe(false);
      expect(f.nextRetryDelay).toBeUndefined();
    }
  });

  test('400/401/402/403 never retry', () => {
    for (const status of [400, 401, 402, 403]) {
      const f = toApplicationFailure(http(status), 'LLM');
      expect(f.nonRetryable).toBe(true);
      expect(f.type).toBe(ErrorTypes.upstreamRejected);
      expect(f.message).toContain(String(status));
    }
  });

  test('gRPC: unavailable and deadline retry; invalid argument and not found do not', () => {
    expect(toApplicationFailure(new ConnectError('down', Code.Unavailable), 'CreateAIPost').nonRetryable).toBe(false);
    expect(toApplicationFailure(new ConnectError('slow', Code.DeadlineExceeded), 'CreateAIPost').nonRetryable).toBe(false);
    const invalid = toApplicationFailure(new ConnectError('bad', Code.InvalidArgument), 'CreateAIPost');
    expect(invalid.nonRetryable).toBe(true);
    expect(invalid.message).toContain('InvalidArgument');
    expect(toApplicationFailure(new ConnectError('gone', Code.NotFound), 'UpdateCharacter').nonRetryable).toBe(true);
  });

  test('model output that stays invalid after repair, limits and missing data are permanent', () => {
    const output = toApplicationFailure(new InvalidModelOutputError({ schemaName: 'PostDetailResponse', issues: 'content: required' }), 'LLM');
    expect([output.nonRetryable, output.type]).toEqual([true, ErrorTypes.invalidModelOutput]);
    const limit = toApplicationFailure(new PermanentStepError('LLM call limit of 6 reached', ErrorTypes.callLimitReached), 'LLM');
    expect([limit.nonRetryable, limit.type]).toEqual([true, ErrorTypes.callLimitReached]);
    const missing = toApplicationFailure(new NotFoundError('tasks', 'w:character:1', 'task'), 'beginTask');
    expect(missing.nonRetryable).toBe(true);
  });

  test('an ApplicationFailure passes through; unknown errors stay retryable (bounded by the retry policy)', () => {
    const own = ApplicationFailure.nonRetryable('mine', 'Mine');
    expect(toApplicationFailure(own, 'x')).toBe(own);
    expect(toApplicationFailure(new Error('socket hang up'), 'x').nonRetryable).toBe(false);
  });
});
