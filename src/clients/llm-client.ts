import ky from 'ky';
import { costFromPrice, llmProviderOf, type LlmProvider, type PriceTable } from '../domain/pricing';
import { flagRefused } from './connection-refused';
import {
  ProviderHttpError,
  ProviderResponseError,
  retryAfterFromBody,
  snippet,
  toProviderError,
} from './provider-errors';

/** Options for {@link createLlmClient}. */
export interface LlmClientOptions {
  /** Chat-completions API base, e.g. `https://openrouter.ai/api/v1`, `https://api.openai.com/v1` (or a stand-in's URL). */
  baseUrl: string;
  apiKey: string;
  /** Per-request timeout; the caller's signal can end a request earlier. */
  timeoutMs: number;
  /**
   * Which dialect the endpoint speaks. @default decided from {@link baseUrl} (openrouter.ai → `openrouter`, anything
   * else → `openai-compatible`). OpenRouter's own request fields and headers are sent to OpenRouter only: OpenAI and
   * most compatible servers answer 400 to a field they do not know.
   */
  provider?: LlmProvider;
  /**
   * USD per million tokens per model: the cost of an answer that reports no `usage.cost` (OpenAI-style APIs never
   * do), from the token counts it reports. An answer with neither stays `cost: null` (configuration refuses an
   * OpenAI-compatible endpoint with an unpriced model, src/domain/pricing.ts).
   */
  prices?: PriceTable;
  /** Longest `Retry-After` obeyed. @default DEFAULT_RETRY_AFTER_CEILING_MS (provider-errors.ts) */
  retryAfterCeilingMs?: number;
  /** OpenRouter's optional attribution headers (`HTTP-Referer`, `X-Title`); never sent to other endpoints. */
  referer?: string;
  appTitle?: string;
  /** Custom fetch (tests). */
  fetch?: typeof fetch;
}

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  jsonSchema: { name: string; schema: object };
  temperature: number;
  maxTokens: number;
  signal?: AbortSignal;
  /** Called once, just before the request is handed to fetch (the caller marks the request as sent). */
  onSent?: () => unknown;
}

export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  /**
   * USD: OpenRouter's `usage.cost` (credits, 1 credit = 1 USD), else the token counts priced from the price table;
   * null when neither is known.
   */
  cost: number | null;
  /** Where {@link cost} came from. */
  costSource?: 'provider' | 'price_table' | 'none';
}

export interface ChatResponse {
  id: string;
  model: string;
  /** Raw `choices[0].message.content` (a JSON string when structured output is honoured). */
  content: string;
  usage: LlmUsage;
}

export interface LlmClient {
  chat(req: ChatRequest): Promise<ChatResponse>;
}

interface CompletionEnvelope {
  id?: unknown;
  model?: unknown;
  choices?: Array<{ message?: { content?: unknown }; finish_reason?: unknown }>;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; cost?: unknown };
  error?: { code?: unknown; message?: unknown; metadata?: unknown };
}

/**
 * A ky before-request hook that reports the request as sent and lets it leave only once that report is done (the
 * last step before fetch; a request whose signal is already aborted never leaves). The caller makes the report
 * durable there, so a process killed while the request is in flight has always recorded that it went out. A failing
 * callback cannot break the request.
 */
export function sentHook(onSent: (() => unknown) | undefined): { hooks?: { beforeRequest: Array<(state: { request: Request }) => Promise<void>> } } {
  if (!onSent) return {};
  return {
    hooks: {
      beforeRequest: [
        async ({ request }) => {
          if (request.signal.aborted) return;
          try {
            await onSent();
          } catch {
            // The callback only records bookkeeping; the request goes ahead regardless.
          }
        },
      ],
    },
  };
}

const num = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/**
 * Chat-completions client for structured (json_schema) calls, for OpenRouter or any OpenAI-compatible endpoint. ky
 * with `retry: 0`: Temporal owns retries. Every failure is a provider error (see `provider-errors.ts`).
 */
export function createLlmClient(opts: LlmClientOptions): LlmClient {
  const provider = llmProviderOf(opts.baseUrl, opts.provider);
  const openRouter = provider === 'openrouter';
  const prices = opts.prices ?? {};
  const headers: Record<string, string> = { authorization: `Bearer ${opts.apiKey}` };
  if (openRouter && opts.referer) headers['HTTP-Referer'] = opts.referer;
  if (openRouter && opts.appTitle) headers['X-Title'] = opts.appTitle;
  const http = ky.create({
    prefix: opts.baseUrl,
    timeout: opts.timeoutMs,
    retry: 0,
    headers,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const secrets = [opts.apiKey];

  return {
    async chat(req) {
      const body = {
        model: req.model,
        messages: req.messages,
        temperature: req.temperature,
        max_tokens: req.maxTokens,
        response_format: {
          type: 'json_schema',
          json_schema: { name: req.jsonSchema.name, strict: true, schema: req.jsonSchema.schema },
        },
        // OpenRouter only: route only to providers that honour every parameter (structured output above all), and
        // report the cost in `usage.cost` (the reference asked for it the same way).
        ...(openRouter ? { provider: { require_parameters: true }, usage: { include: true } } : {}),
      };
      const ctx = { provider: 'llm' as const, secrets, timeoutMs: opts.timeoutMs, signal: req.signal, retryAfterCeilingMs: opts.retryAfterCeilingMs };
      let text: string;
      try {
        const res = await http.post('chat/completions', {
          json: body,
          ...(req.signal ? { signal: req.signal } : {}),
          ...sentHook(req.onSent),
        });
        text = await res.text();
      } catch (err) {
        throw flagRefused(toProviderError(err, ctx), err);
      }

      let env: CompletionEnvelope;
      try {
        env = JSON.parse(text) as CompletionEnvelope;
      } catch (err) {
        throw new ProviderResponseError({
          provider: 'llm',
          message: 'the LLM endpoint answered with a non-JSON body',
          retryable: true,
          bodySnippet: snippet(text, secrets),
          cause: err,
        });
      }
      if (typeof env !== 'object' || env === null) {
        throw new ProviderResponseError({
          provider: 'llm',
          message: 'the LLM endpoint answered with a non-object body',
          retryable: true,
          bodySnippet: snippet(text, secrets),
        });
      }
      if (env.error && typeof env.error === 'object') {
        const code = env.error.code;
        const numeric = typeof code === 'number' ? code : typeof code === 'string' && /^\d{3}$/.test(code) ? Number(code) : NaN;
        throw new ProviderHttpError({
          provider: 'llm',
          status: Number.isInteger(numeric) && numeric >= 400 && numeric <= 599 ? numeric : 502,
          retryAfterMs: retryAfterFromBody(env),
          retryAfterCeilingMs: opts.retryAfterCeilingMs,
          bodySnippet: snippet(env, secrets),
          code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
          message: `the LLM endpoint returned an error in a 200 body: ${snippet(env.error.message, secrets, 200)}`,
        });
      }
      const content = env.choices?.[0]?.message?.content;
      if (typeof content !== 'string' || content.length === 0) {
        throw new ProviderResponseError({
          provider: 'llm',
          message: 'the LLM answer has no choices[0].message.content',
          retryable: true,
          bodySnippet: snippet(env, secrets),
        });
      }
      const reported = env.usage?.cost;
      const promptTokens = num(env.usage?.prompt_tokens);
      const completionTokens = num(env.usage?.completion_tokens);
      // The price of the model asked for: an endpoint may answer with a versioned id (gpt-4o-mini-2024-07-18).
      const price = prices[req.model] ?? (typeof env.model === 'string' ? prices[env.model] : undefined);
      const usage: LlmUsage =
        typeof reported === 'number' && Number.isFinite(reported) && reported >= 0
          ? { promptTokens, completionTokens, cost: reported, costSource: 'provider' }
          : price
            ? { promptTokens, completionTokens, cost: costFromPrice(price, promptTokens, completionTokens), costSource: 'price_table' }
            : { promptTokens, completionTokens, cost: null, costSource: 'none' };
      return {
        id: typeof env.id === 'string' ? env.id : '',
        model: typeof env.model === 'string' ? env.model : req.model,
        content,
        usage,
      };
    },
  };
}
