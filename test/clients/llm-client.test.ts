import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { createLlmClient, type ChatRequest } from '../../src/clients/llm-client';
import { createServer, type AddressInfo } from 'node:net';
import { connectionRefused, wasRefused } from '../../src/clients/connection-refused';
import {
  isProviderAbortedError,
  isProviderError,
  isProviderHttpError,
  isProviderNetworkError,
  isProviderResponseError,
  isProviderTimeoutError,
  parseRetryAfter,
  DEFAULT_RETRY_AFTER_CEILING_MS,
  type ProviderHttpError,
} from '../../src/clients/provider-errors';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../../dev/stand-ins/openrouter/index';

const API_KEY = 'sk-or-test-secret-key-123456';
let stand: OpenRouterStandIn;

beforeAll(async () => {
  stand = await startOpenRouterStandIn({ requireApiKey: API_KEY, costPerRequest: 0.0005 });
});
afterAll(async () => {
  await stand.close();
});
beforeEach(() => stand.reset());

const schema = {
  type: 'object',
  properties: {
    title: { type: 'string', minLength: 3 },
    tags: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 5 },
  },
  required: ['title', 'tags'],
  additionalProperties: false,
};

const request = (over: Partial<ChatRequest> = {}): ChatRequest => ({
  model: 'google/gemini-2.0-flash-001',
  messages: [{ role: 'user', content: 'Give me a title and exactly 4 tags.' }],
  jsonSchema: { name: 'title_tags', schema },
  temperature: 0.5,
  maxTokens: 500,
  ...over,
});

async function catchErr(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('createLlmClient against the OpenRouter stand-in', () => {
  // The stand-in runs on loopback, which alone would mean "OpenAI-compatible": OpenRouter's dialect is asked for.
  const client = () => createLlmClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs: 2000, referer: 'https://generia.test', appTitle: 'Generia', provider: 'openrouter' });

  test('success: JSON content, usage and cost reported, request body shape', async () => {
    const res = await client().chat(request());
    const parsed = JSON.parse(res.content) as { title: string; tags: string[] };
    expect(parsed.tags).toHaveLength(4);
    expect(parsed.title.length).toBeGreaterThanOrEqual(3);
    expect(res.id).toStartWith('gen-');
    expect(res.model).toBe('google/gemini-2.0-flash-001');
    expect(res.usage.cost).toBe(0.0005);
    expect(res.usage.promptTokens).toBeGreaterThan(0);
    expect(res.usage.completionTokens).toBeGreaterThan(0);

    expect(stand.requests).toHaveLength(1);
    const rec = stand.requests[0]!;
    expect(rec.status).toBe(200);
    expect(rec.schemaName).toBe('title_tags');
    expect(rec.body).toEqual({
      model: 'google/gemini-2.0-flash-001',
      messages: [{ role: 'user', content: 'Give me a title and exactly 4 tags.' }],
      temperature: 0.5,
      max_tokens: 500,
      response_format: { type: 'json_schema', json_schema: { name: 'title_tags', strict: true, schema } },
      provider: { require_parameters: true },
      usage: { include: true },
    });
  });

  test('onSent fires once as the request leaves, before the answer; not when the request is never made', async () => {
    const events: string[] = [];
    stand.setLatency(() => {
      events.push('received');
      return 0;
    });
    try {
      await client().chat({ ...request(), onSent: () => events.push('sent') });
      expect(events).toEqual(['sent', 'received']);
      const aborted = new AbortController();
      aborted.abort();
      let fired = 0;
      await client().chat({ ...request(), signal: aborted.signal, onSent: () => fired++ }).catch(() => {});
      expect(fired).toBe(0);
      expect(stand.requests).toHaveLength(1);
    } finally {
      stand.setLatency(0);
    }
  });

  test('dropResponse: the stand-in bills the answer and resets the connection → ProviderNetworkError', async () => {
    stand.faults.push({ dropResponse: true });
    const err = await client().chat(request()).then(() => null, (e: unknown) => e);
    expect((err as Error).name).toBe('ProviderNetworkError');
    expect(stand.requests).toHaveLength(1);
    expect(stand.requests[0]!.cost).toBe(0.0005);
  });

  test('deterministic for the same prompt, different for another prompt', async () => {
    const a = await client().chat(request());
    const b = await client().chat(request());
    const c = await client().chat(request({ messages: [{ role: 'user', content: 'Another prompt, exactly 4 tags.' }] }));
    expect(a.content).toBe(b.content);
    expect(c.content).not.toBe(a.content);
  });

  test('429 with Retry-After: 2 → ProviderHttpError 429, retryAfterMs 2000, key not leaked', async () => {
    stand.faults.push({ status: 429, retryAfter: 2 });
    const err = (await catchErr(client().chat(request()))) as ProviderHttpError;
    expect(isProviderHttpError(err)).toBe(true);
    expect(err.status).toBe(429);
    expect(err.retryAfterMs).toBe(2000);
    expect(err.retryable).toBe(true);
    expect(err.provider).toBe('llm');
    expect(err.bodySnippet).toContain('Rate limit');
    expect(JSON.stringify(err) + err.message).not.toContain(API_KEY);
    expect(stand.requests[0]!.status).toBe(429);
    expect(stand.requests[0]!.cost).toBeNull();
  });

  test('503 with retry_after_seconds only in the body', async () => {
    stand.faults.push({ status: 503, body: { error: { code: 503, message: 'busy', metadata: { retry_after_seconds: 7 } } } });
    const err = (await catchErr(client().chat(request()))) as ProviderHttpError;
    expect(err.status).toBe(503);
    expect(err.retryAfterMs).toBe(7000);
  });

  test('400 and 402 are permanent ProviderHttpErrors', async () => {
    stand.faults.push({ status: 400 });
    stand.faults.push({ status: 402 });
    const e400 = (await catchErr(client().chat(request()))) as ProviderHttpError;
    const e402 = (await catchErr(client().chat(request()))) as ProviderHttpError;
    expect(e400.status).toBe(400);
    expect(e400.retryable).toBe(false);
    expect(e402.status).toBe(402);
    expect(e402.retryable).toBe(false);
  });

  test('missing response_format → stand-in answers 400 OpenRouter-style', async () => {
    const res = await fetch(`${stand.url}/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(400);
    expect(body.error.message).toContain('json_schema');
  });

  test('wrong API key → 401', async () => {
    const bad = createLlmClient({ baseUrl: stand.url, apiKey: 'wrong-key-abcdef', timeoutMs: 2000 });
    const err = (await catchErr(bad.chat(request()))) as ProviderHttpError;
    expect(err.status).toBe(401);
    expect(err.bodySnippet).not.toContain('wrong-key-abcdef');
  });

  test('timeout (delayMs > timeoutMs) → ProviderTimeoutError; the request is still recorded', async () => {
    stand.faults.push({ delayMs: 1000 });
    const fast = createLlmClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs: 150 });
    const err = await catchErr(fast.chat(request()));
    expect(isProviderTimeoutError(err)).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(true);
    expect(stand.requests).toHaveLength(1);
  });

  test('caller abort → ProviderAbortedError', async () => {
    stand.faults.push({ delayMs: 1000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('activity cancelled')), 50);
    const err = await catchErr(client().chat(request({ signal: controller.signal })));
    expect(isProviderAbortedError(err)).toBe(true);
    expect((err as { retryable: boolean }).retryable).toBe(false);
  });

  test('already-aborted signal → ProviderAbortedError', async () => {
    const err = await catchErr(client().chat(request({ signal: AbortSignal.abort() })));
    expect(isProviderAbortedError(err)).toBe(true);
  });

  test('error object inside a 200 body → ProviderHttpError with its code', async () => {
    stand.faults.push({ errorInBody: true, code: 429 });
    const err = (await catchErr(client().chat(request()))) as ProviderHttpError;
    expect(isProviderHttpError(err)).toBe(true);
    expect(err.status).toBe(429);
    expect(err.code).toBe(429);
  });

  test('malformed content is returned as-is (validation is the caller’s job); cost still reported', async () => {
    stand.faults.push({ malformed: true });
    const res = await client().chat(request());
    expect(() => JSON.parse(res.content)).toThrow();
    expect(res.usage.cost).toBe(0.0005);
    expect(stand.requests[0]!.cost).toBe(0.0005);
  });

  test('non-JSON envelope / missing content → ProviderResponseError; usage.cost absent → null', async () => {
    const fakeFetch = (body: string) =>
      (async () => new Response(body, { status: 200, headers: { 'content-type': 'application/json' } })) as unknown as typeof fetch;
    const notJson = createLlmClient({ baseUrl: 'http://x.invalid/api/v1', apiKey: API_KEY, timeoutMs: 1000, fetch: fakeFetch('<html>oops</html>') });
    const e1 = await catchErr(notJson.chat(request()));
    expect(isProviderResponseError(e1)).toBe(true);
    const noChoices = createLlmClient({ baseUrl: 'http://x.invalid/api/v1', apiKey: API_KEY, timeoutMs: 1000, fetch: fakeFetch('{"id":"a","choices":[]}') });
    const e2 = await catchErr(noChoices.chat(request()));
    expect(isProviderResponseError(e2)).toBe(true);
    const noCost = createLlmClient({
      baseUrl: 'http://x.invalid/api/v1',
      apiKey: API_KEY,
      timeoutMs: 1000,
      fetch: fakeFetch('{"id":"a","model":"m","choices":[{"message":{"content":"{}"}}],"usage":{"prompt_tokens":3,"completion_tokens":1}}'),
    });
    const ok = await noCost.chat(request());
    expect(ok.usage).toEqual({ promptTokens: 3, completionTokens: 1, cost: null, costSource: 'none' });
  });

  test('connection refused → ProviderNetworkError', async () => {
    const dead = createLlmClient({ baseUrl: 'http://127.0.0.1:1/api/v1', apiKey: API_KEY, timeoutMs: 2000 });
    const err = await catchErr(dead.chat(request()));
    expect(isProviderError(err)).toBe(true);
    expect(isProviderNetworkError(err)).toBe(true);
  });
});

/** A loopback port nobody listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('connectionRefused', () => {
  test('only a connection that could not be opened counts as never arrived', () => {
    const sys = (code: string, syscall: string) => Object.assign(new Error(code), { code, syscall });
    // Node's fetch: TypeError('fetch failed') caused by the connect syscall error, or by an AggregateError of them.
    expect(connectionRefused(new TypeError('fetch failed', { cause: sys('ECONNREFUSED', 'connect') }))).toBe(true);
    expect(connectionRefused(new TypeError('fetch failed', { cause: new AggregateError([sys('ECONNREFUSED', 'connect'), sys('ENETUNREACH', 'connect')]) }))).toBe(true);
    expect(connectionRefused(new TypeError('fetch failed', { cause: sys('ENOTFOUND', 'getaddrinfo') }))).toBe(true);
    // Bun's fetch.
    expect(connectionRefused(Object.assign(new TypeError('ECONNREFUSED: Unable to connect. Is the computer able to access the url?'), { code: 'ECONNREFUSED' }))).toBe(true);
    // A reset or a timeout may have delivered the request.
    expect(connectionRefused(new TypeError('fetch failed', { cause: sys('ECONNRESET', 'read') }))).toBe(false);
    expect(connectionRefused(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(false);
    expect(connectionRefused(new Error('timeout'))).toBe(false);
  });

  test('the real refused connection is recognised through the provider error', async () => {
    const refusing = createLlmClient({ baseUrl: `http://127.0.0.1:${await closedPort()}/api/v1`, apiKey: API_KEY, timeoutMs: 2000 });
    const err = await refusing.chat(request()).then(() => null, (e: unknown) => e);
    expect((err as Error).name).toBe('ProviderNetworkError');
    expect(wasRefused(err)).toBe(true);
    // A reply lost after the request arrived is not "refused".
    stand.faults.push({ dropResponse: true });
    const reachable = createLlmClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs: 2000 });
    expect(wasRefused(await reachable.chat(request()).then(() => null, (e: unknown) => e))).toBe(false);
  });
});

describe('parseRetryAfter', () => {
  test('seconds and HTTP dates', () => {
    expect(parseRetryAfter('2')).toBe(2000);
    expect(parseRetryAfter('0.5')).toBe(500);
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:10 GMT', now)).toBe(10_000);
    expect(parseRetryAfter('Thu, 01 Jan 2025 00:00:10 GMT', now)).toBe(0);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('an OpenAI-compatible endpoint (the stand-in in OpenAI mode)', () => {
  let openai: OpenRouterStandIn;
  const PRICE = { input: 0.15, output: 0.6 };
  beforeAll(async () => {
    openai = await startOpenRouterStandIn({ requireApiKey: API_KEY, dialect: 'openai', openAiPricePerMillion: PRICE });
  });
  afterAll(async () => {
    await openai.close();
  });
  beforeEach(() => openai.reset());
  const prices = { 'google/gemini-2.0-flash-001': { inputPerMillion: PRICE.input, outputPerMillion: PRICE.output } };

  test('decided from the base URL: only OpenAI fields are sent; the cost comes from the price table', async () => {
    const res = await createLlmClient({ baseUrl: openai.url, apiKey: API_KEY, timeoutMs: 2000, referer: 'https://generia.test', appTitle: 'Generia', prices }).chat(request());
    const rec = openai.requests[0]!;
    expect(rec.status).toBe(200);
    expect(Object.keys(rec.body).sort()).toEqual(['max_tokens', 'messages', 'model', 'response_format', 'temperature']);
    // The endpoint reported tokens only; the client priced them, to the cent of what the stand-in billed.
    expect(res.usage.costSource).toBe('price_table');
    expect(res.usage.cost).toBeGreaterThan(0);
    expect(res.usage.cost).toBeCloseTo(rec.cost!, 15);
    expect(res.usage.cost).toBeCloseTo((rec.promptTokens * PRICE.input + rec.completionTokens * PRICE.output) / 1e6, 15);
  });

  test("OpenRouter's fields sent to it are refused with OpenAI's 400, a permanent failure", async () => {
    const err = (await catchErr(createLlmClient({ baseUrl: openai.url, apiKey: API_KEY, timeoutMs: 2000, provider: 'openrouter' }).chat(request()))) as ProviderHttpError;
    expect(isProviderHttpError(err)).toBe(true);
    expect(err.status).toBe(400);
    expect(err.retryable).toBe(false);
    expect(err.bodySnippet).toContain('Unrecognized request argument supplied: provider');
  });

  test('no price and no reported cost: cost null, marked none (never a made-up 0)', async () => {
    const res = await createLlmClient({ baseUrl: openai.url, apiKey: API_KEY, timeoutMs: 2000 }).chat(request());
    expect(res.usage).toMatchObject({ cost: null, costSource: 'none' });
  });
});

describe('Retry-After ceiling', () => {
  test('a Retry-After above the ceiling is cut to it; below it is obeyed as sent', async () => {
    stand.faults.push({ status: 429, retryAfter: 3600 });
    const capped = (await catchErr(createLlmClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs: 2000, retryAfterCeilingMs: 5000 }).chat(request()))) as ProviderHttpError;
    expect([capped.status, capped.requestedRetryAfterMs, capped.retryAfterMs]).toEqual([429, 3_600_000, 5000]);
    stand.faults.push({ status: 503, retryAfter: 2 });
    const obeyed = (await catchErr(createLlmClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs: 2000, retryAfterCeilingMs: 5000 }).chat(request()))) as ProviderHttpError;
    expect(obeyed.retryAfterMs).toBe(2000);
    // Without a ceiling of its own a client gets the default one (a minute, the retry policies' longest interval).
    stand.faults.push({ status: 429, retryAfter: 86_400 });
    const defaulted = (await catchErr(createLlmClient({ baseUrl: stand.url, apiKey: API_KEY, timeoutMs: 2000 }).chat(request()))) as ProviderHttpError;
    expect(defaulted.retryAfterMs).toBe(DEFAULT_RETRY_AFTER_CEILING_MS);
  });
});
