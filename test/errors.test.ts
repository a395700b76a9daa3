import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import ky from 'ky';
import { Code, ConnectError } from '@connectrpc/connect';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityExecuteInput } from '@temporalio/worker';
import { InvalidModelOutputError, ProviderHttpError, ProviderTimeoutError, toProviderError } from '../src/clients/provider-errors';
import { activityError, PermanentStepError, redactActivityFailures, toApplicationFailure, translateErrors } from '../src/errors';
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

/** Every text of an error that can leave the process: message, stack, cause chain, and what a logger prints. */
function everyText(err: unknown): string {
  const parts: string[] = [inspect(err, { depth: 10 })];
  for (let e = err as { message?: string; stack?: string; cause?: unknown } | undefined, i = 0; e && i < 10; e = e.cause as typeof e, i++) {
    parts.push(String(e.message), String(e.stack));
  }
  return parts.join('\n');
}

describe('no credentials leave an activity in a failure', () => {
  const KEY = 'k-9f8e7d6c5b4a3f2e1d0c';
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer(() => {}); // accepts and never answers
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://user:${KEY}@127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
  });

  async function kyTimeout(): Promise<unknown> {
    try {
      await ky.get(`${base.replace(`user:${KEY}@`, '')}/v1/chat?api-key=${KEY}`, { timeout: 200, retry: 0 });
    } catch (err) {
      return err;
    }
    throw new Error('expected a timeout');
  }

  test("ky's own TimeoutError (it quotes the URL) is masked, whether raw or wrapped by the provider client", async () => {
    const raw = await kyTimeout();
    expect(String((raw as Error).message)).toContain(KEY); // what ky really says
    for (const err of [raw, toProviderError(raw, { provider: 'llm', secrets: [], timeoutMs: 200 })]) {
      const failure = toApplicationFailure(err, 'LLM');
      expect(failure.nonRetryable).toBe(false);
      expect(everyText(failure)).not.toContain(KEY);
      expect(everyText(failure)).toContain('?[redacted]');
    }
    expect(everyText(toProviderError(raw, { provider: 'llm', secrets: [], timeoutMs: 200 }))).not.toContain(KEY);
  });

  test('URLs with credentials in gRPC errors, our own ApplicationFailures and plain errors are masked', () => {
    const grpc = toApplicationFailure(new ConnectError(`upstream https://svc/x?token=${KEY} refused`, Code.Unavailable), 'CreateAIPost');
    expect(grpc.message).toBe('CreateAIPost: gRPC Unavailable: upstream https://svc/x?[redacted] refused');
    const own = ApplicationFailure.create({ message: `PUT ${base}/u?sig=${KEY}`, type: 'UploadFailed', nonRetryable: true, cause: new Error(`at ${base}`) });
    const masked = toApplicationFailure(own, 'x');
    expect([masked.type, masked.nonRetryable]).toEqual(['UploadFailed', true]);
    expect(everyText(masked)).not.toContain(KEY);
    const plain = toApplicationFailure(new Error(`connect to mongodb://root:${KEY}@db:27017/x failed`), 'startWorld');
    expect(plain.message).toBe('startWorld: connect to mongodb://db:27017/x failed');
    expect(everyText(plain)).not.toContain(KEY);
  });

  test('a cancelled activity ends with a CancelledFailure (redacted), not a retryable failure', async () => {
    const env = new MockActivityEnvironment();
    const run = env.run(() =>
      translateErrors('LLM', async () => {
        env.cancel();
        await new Promise((r) => setTimeout(r, 10));
        throw new Error(`aborted: POST ${base}/v1?api-key=${KEY}`);
      }),
    );
    const err = await run.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CancelledFailure);
    expect(everyText(err)).not.toContain(KEY);
    const passThrough = new CancelledFailure('cancelled');
    expect(activityError(passThrough, 'x')).toBe(passThrough);
  });

  test('the worker interceptor masks an error that skipped translateErrors', async () => {
    const interceptors = redactActivityFailures({ info: { activityType: 'renderImage' } } as never);
    const raw = await kyTimeout();
    const err = await interceptors.inbound!.execute!({ args: [], headers: {} } as unknown as ActivityExecuteInput, () => Promise.reject(raw)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect((err as ApplicationFailure).message).toStartWith('renderImage: Request timed out: GET http://127.0.0.1:');
    expect(everyText(err)).not.toContain(KEY);
  });
});
