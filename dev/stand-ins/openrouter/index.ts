/* eslint-disable @typescript-eslint/no-explicit-any -- a stand-in handles arbitrary wire JSON; its request records expose it untyped for tests. */
/**
 * OpenRouter stand-in: a real HTTP server on loopback implementing `POST /api/v1/chat/completions`
 * for structured (json_schema) requests. Answers are valid against the schema sent, deterministic
 * per prompt, and every request (faulted or not) is recorded. Used by tests, benchmarks and the
 * offline demo.
 *
 * @example
 * const llm = await startOpenRouterStandIn();
 * llm.faults.push({ status: 429, retryAfter: 2 });
 * // createLlmClient({ baseUrl: llm.url, apiKey: 'x', timeoutMs: 5000 })
 * await llm.close();
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hashString, jsonFromSchema, topLevelArrayBounds, type JsonSchema } from '../json-from-schema';
import { describeFault, FaultQueue, listen, readBody, sendJson, Sleeper } from '../http-util';

export type LlmFault =
  /** Answer with this status (OpenRouter-style error body unless `body` is given). */
  | { status: number; retryAfter?: number | string; body?: unknown }
  /** 200 whose content is not JSON. */
  | { malformed: true }
  /** 200 with JSON that violates the schema (a required property dropped, or a wrong type). */
  | { schemaInvalid: true }
  /** Return this many fewer items than asked in the top-level array. */
  | { fewerItems: number }
  /** Extra latency before answering normally. */
  | { delayMs: number }
  /** 200 with an `error` object instead of choices. */
  | { errorInBody: true; code?: number; message?: string }
  /**
   * The answer is generated and billed (recorded with its cost), then the connection is reset before it is sent: a
   * reply lost in transit. OpenRouter offers no lookup by request, so the client cannot recover it.
   */
  | { dropResponse: true };

export interface OpenRouterRequestRecord {
  at: number;
  body: any;
  model: string;
  schemaName: string;
  /** 0 until the answer is sent (e.g. the client timed out first). */
  status: number;
  cost: number | null;
  promptTokens: number;
  completionTokens: number;
  fault?: string;
  /** Date.now() when the answer (or error) was sent; unset while pending or when the connection was dropped. */
  endedAt?: number;
  /** The `id` of a 200 answer (the worker stores it with the paid answer, so a benchmark can find the call's step). */
  responseId?: string;
  /** The delay chosen from the answer (see `setAnswerLatency`), if any. */
  answerDelayMs?: number;
}

/** What an answer-dependent latency sees: the answer is generated before the stand-in waits. */
export interface LlmAnswerInfo {
  schemaName: string;
  promptTokens: number;
  completionTokens: number;
}

type Latency = number | ((body: any) => number);

export interface OpenRouterStandInOptions {
  port?: number;
  latencyMs?: Latency;
  /** Cost reported for every 200 answer. @default 0.00042 */
  costPerRequest?: number;
  /** If set, replaces costPerRequest: cost = prompt * p + completion * c. */
  costPerToken?: { prompt: number; completion: number };
  /** If set, only `Bearer <requireApiKey>` is accepted; otherwise any non-empty bearer token. */
  requireApiKey?: string;
  /**
   * `openai`: behave like the OpenAI API instead — served at `/v1/chat/completions`, a request with a top-level field
   * the OpenAI API does not know (OpenRouter's `provider`, `usage`, …) is refused with OpenAI's 400, and answers carry
   * token counts but no `usage.cost`. What it would bill is still recorded (`cost`, from {@link openAiPricePerMillion}).
   * @default 'openrouter'
   */
  dialect?: 'openrouter' | 'openai';
  /** `openai` dialect: the price it bills at, USD per million tokens. @default { input: 0.15, output: 0.6 } (gpt-4o-mini) */
  openAiPricePerMillion?: { input: number; output: number };
  /**
   * Extra delay computed from the generated answer (e.g. time to first token + completion tokens ÷ throughput, see
   * ../latency-table.ts), waited after generating it and before sending it. Adds to `latencyMs`.
   */
  answerLatencyMs?: (answer: LlmAnswerInfo) => number;
}

export interface OpenRouterStandIn {
  /** Base URL, e.g. `http://127.0.0.1:PORT/api/v1`. */
  url: string;
  requests: OpenRouterRequestRecord[];
  /** Queue a fault; with `match`, it waits for a request with that schema name (concurrent requests pass). */
  faults: { push(fault: LlmFault, times?: number, match?: { schemaName?: string }): void; clear(): void };
  setLatency(ms: Latency): void;
  /** Sets (or with undefined removes) the answer-dependent delay; see {@link OpenRouterStandInOptions.answerLatencyMs}. */
  setAnswerLatency(fn: ((answer: LlmAnswerInfo) => number) | undefined): void;
  /** Clears requests and faults (keeps latency). */
  reset(): void;
  close(): Promise<void>;
}

const EXACTLY = /exactly (\d+)/i;

/**
 * Top-level fields of OpenAI's chat-completions request (API reference, 2025). OpenAI refuses anything else with
 * 400 `Unrecognized request argument supplied: <name>`; OpenRouter's `provider` and `usage` are the usual culprits.
 */
const OPENAI_REQUEST_FIELDS = new Set([
  'model', 'messages', 'temperature', 'top_p', 'n', 'stream', 'stream_options', 'stop', 'max_tokens', 'max_completion_tokens',
  'presence_penalty', 'frequency_penalty', 'logit_bias', 'logprobs', 'top_logprobs', 'user', 'response_format', 'seed',
  'tools', 'tool_choice', 'parallel_tool_calls', 'functions', 'function_call', 'service_tier', 'store', 'metadata',
  'modalities', 'audio', 'prediction', 'reasoning_effort', 'web_search_options', 'prompt_cache_key', 'safety_identifier', 'verbosity',
]);

/** OpenAI's error envelope. */
function openAiError(message: string, type = 'invalid_request_error', param: string | null = null, code: string | null = null) {
  return { error: { message, type, param, code } };
}

function openRouterError(code: number, message: string, metadata?: Record<string, unknown>) {
  return { error: { code, message, ...(metadata ? { metadata } : {}) } };
}

const STATUS_MESSAGES: Record<number, string> = {
  400: 'Bad Request',
  401: 'No auth credentials found',
  402: 'Insufficient credits',
  403: 'Forbidden',
  408: 'Request timed out',
  429: 'Rate limit exceeded',
  500: 'Internal Server Error',
  502: 'Upstream provider error',
  503: 'No available provider',
};

/** Returns an error message if the body is not a valid structured chat request. */
function validateBody(body: any): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object';
  if (typeof body.model !== 'string' || body.model === '') return 'model is required';
  if (!Array.isArray(body.messages) || body.messages.length === 0) return 'messages must be a non-empty array';
  for (const m of body.messages) {
    if (!m || !['system', 'user', 'assistant'].includes(m.role) || typeof m.content !== 'string') {
      return 'each message needs a role (system|user|assistant) and string content';
    }
  }
  const rf = body.response_format;
  if (!rf || rf.type !== 'json_schema' || !rf.json_schema || typeof rf.json_schema !== 'object') {
    return 'response_format.json_schema is required by this stand-in';
  }
  if (typeof rf.json_schema.name !== 'string' || typeof rf.json_schema.schema !== 'object' || !rf.json_schema.schema) {
    return 'response_format.json_schema needs a name and a schema object';
  }
  if (body.temperature !== undefined && typeof body.temperature !== 'number') return 'temperature must be a number';
  if (body.max_tokens !== undefined && !Number.isInteger(body.max_tokens)) return 'max_tokens must be an integer';
  return undefined;
}

/** The N of the latest user message saying "exactly N". */
function requestedCount(messages: Array<{ role: string; content: string }>): number | undefined {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i]!;
    if (m.role !== 'user') continue;
    const match = EXACTLY.exec(m.content);
    if (match) return Number(match[1]);
  }
  return undefined;
}

/** Mutates a valid answer so that it no longer validates. */
function breakAnswer(value: unknown, schema: JsonSchema): unknown {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const obj = { ...(value as Record<string, unknown>) };
    const required = Array.isArray(schema.required) ? (schema.required as string[]) : [];
    if (required.length > 0) {
      delete obj[required[0]!];
      return obj;
    }
    const first = Object.keys(obj)[0];
    if (first !== undefined) {
      obj[first] = typeof obj[first] === 'string' ? 12345 : 'not-the-right-type';
      return obj;
    }
    return { unexpected_property: true };
  }
  return typeof value === 'string' ? 12345 : 'not-the-right-type';
}

export async function startOpenRouterStandIn(opts: OpenRouterStandInOptions = {}): Promise<OpenRouterStandIn> {
  const requests: OpenRouterRequestRecord[] = [];
  const faults = new FaultQueue<LlmFault, { schemaName: string }>();
  const sleeper = new Sleeper();
  let latency: Latency = opts.latencyMs ?? 0;
  let answerLatency = opts.answerLatencyMs;
  let counter = 0;

  const openAi = opts.dialect === 'openai';
  const openAiPrice = opts.openAiPricePerMillion ?? { input: 0.15, output: 0.6 };
  const costFor = (promptTokens: number, completionTokens: number): number => {
    if (openAi) return (promptTokens * openAiPrice.input + completionTokens * openAiPrice.output) / 1_000_000;
    if (opts.costPerToken) {
      return promptTokens * opts.costPerToken.prompt + completionTokens * opts.costPerToken.completion;
    }
    return opts.costPerRequest ?? 0.00042;
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    if (req.method !== 'POST' || url.pathname.replace(/\/+$/, '') !== (openAi ? '/v1/chat/completions' : '/api/v1/chat/completions')) {
      sendJson(res, 404, openRouterError(404, `No route for ${req.method} ${url.pathname}`));
      return;
    }
    const raw = await readBody(req);
    let body: any;
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const record: OpenRouterRequestRecord = {
      at: Date.now(),
      body,
      model: typeof body?.model === 'string' ? body.model : '',
      schemaName: typeof body?.response_format?.json_schema?.name === 'string' ? body.response_format.json_schema.name : '',
      status: 0,
      cost: null,
      promptTokens: 0,
      completionTokens: 0,
    };
    requests.push(record);
    const reply = (status: number, payload: unknown, headers?: Record<string, string>) => {
      record.status = status;
      record.endedAt = Date.now();
      sendJson(res, status, payload, headers);
    };

    const auth = req.headers.authorization ?? '';
    const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
    if (!token || (opts.requireApiKey !== undefined && token !== opts.requireApiKey)) {
      reply(401, openRouterError(401, token ? 'Invalid API key' : 'No auth credentials found'));
      return;
    }
    const unknownField = openAi && body && typeof body === 'object' ? Object.keys(body).find((k) => !OPENAI_REQUEST_FIELDS.has(k)) : undefined;
    if (unknownField !== undefined) {
      reply(400, openAiError(`Unrecognized request argument supplied: ${unknownField}`));
      return;
    }
    const invalid = body === undefined ? 'body is not valid JSON' : validateBody(body);
    if (invalid) {
      reply(400, openRouterError(400, invalid));
      return;
    }

    const fault = faults.take({ schemaName: String(body.response_format.json_schema.name) });
    record.fault = describeFault(fault);
    const baseLatency = typeof latency === 'function' ? latency(body) : latency;
    await sleeper.sleep(baseLatency + (fault && 'delayMs' in fault ? fault.delayMs : 0));
    if (res.destroyed) return;

    if (fault && 'status' in fault) {
      const headers: Record<string, string> = {};
      if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
      const payload =
        fault.body ??
        openRouterError(
          fault.status,
          STATUS_MESSAGES[fault.status] ?? `Stand-in error ${fault.status}`,
          fault.status === 429
            ? {
                provider_name: 'StandIn',
                ...(typeof fault.retryAfter === 'number' ? { retry_after_seconds: fault.retryAfter } : {}),
              }
            : undefined,
        );
      reply(fault.status, payload, headers);
      return;
    }
    const id = `${openAi ? 'chatcmpl-standin' : 'gen-standin'}-${Date.now()}-${++counter}`;
    if (fault && 'errorInBody' in fault) {
      reply(200, {
        id,
        model: body.model,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        choices: [],
        ...openRouterError(fault.code ?? 502, fault.message ?? 'Upstream provider error', { provider_name: 'StandIn' }),
      });
      return;
    }

    const schema = body.response_format.json_schema.schema as JsonSchema;
    const messages = body.messages as Array<{ role: string; content: string }>;
    const seed = hashString(JSON.stringify(messages)).toString(36);
    const bounds = topLevelArrayBounds(schema);
    let count = requestedCount(messages);
    if (bounds) {
      if (count === undefined) count = Math.max(bounds.minItems, Math.min(bounds.maxItems, 3));
      count = Math.min(count, bounds.maxItems);
      if (fault && 'fewerItems' in fault) count = Math.max(0, count - fault.fewerItems);
    }
    let content: string;
    try {
      let value = jsonFromSchema(schema, seed, count === undefined ? {} : { topLevelArrayLength: count });
      if (fault && 'schemaInvalid' in fault) value = breakAnswer(value, schema);
      content = JSON.stringify(value);
      if (fault && 'malformed' in fault) content = `Sure! Here is the JSON you asked for: ${content.slice(0, Math.max(1, Math.floor(content.length / 2)))}`;
    } catch (err) {
      reply(400, openRouterError(400, `stand-in cannot satisfy the schema: ${(err as Error).message}`));
      return;
    }
    const promptChars = messages.reduce((n, m) => n + m.content.length, 0);
    const promptTokens = Math.max(1, Math.ceil(promptChars / 4));
    const completionTokens = Math.max(1, Math.ceil(content.length / 4));
    const cost = costFor(promptTokens, completionTokens);
    record.cost = cost;
    record.promptTokens = promptTokens;
    record.completionTokens = completionTokens;
    if (answerLatency) {
      const delay = Math.max(0, answerLatency({ schemaName: record.schemaName, promptTokens, completionTokens }));
      record.answerDelayMs = delay;
      await sleeper.sleep(delay);
      if (res.destroyed) return;
    }
    record.responseId = id;
    if (fault && 'dropResponse' in fault) {
      res.socket?.destroy();
      return;
    }
    if (openAi) {
      // OpenAI's answer: token counts, never money.
      reply(200, {
        id,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
        usage: { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens },
        system_fingerprint: 'fp_standin',
      });
      return;
    }
    reply(200, {
      id,
      provider: 'StandIn',
      model: body.model,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop', native_finish_reason: 'STOP' }],
      usage: {
        prompt_tokens: promptTokens,
        completion_tokens: completionTokens,
        total_tokens: promptTokens + completionTokens,
        cost,
      },
    });
  }

  const server = await listen((req, res) => {
    handle(req, res).catch((err) => {
      if (!res.headersSent) sendJson(res, 500, openRouterError(500, `stand-in failure: ${(err as Error).message}`));
      else res.destroy();
    });
  }, opts.port ?? 0);

  return {
    url: `http://127.0.0.1:${server.port}${openAi ? '/v1' : '/api/v1'}`,
    requests,
    faults: {
      push: (f, times = 1, match) => faults.push(f, times, (r) => match?.schemaName === undefined || r.schemaName === match.schemaName),
      clear: () => faults.clear(),
    },
    setLatency(ms) {
      latency = ms;
    },
    setAnswerLatency(fn) {
      answerLatency = fn;
    },
    reset() {
      requests.length = 0;
      faults.clear();
    },
    async close() {
      sleeper.cancelAll();
      await server.close();
    },
  };
}
