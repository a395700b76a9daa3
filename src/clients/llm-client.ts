import ky from 'ky';
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
  /** OpenRouter API base, e.g. `https://openrouter.ai/api/v1` (or a stand-in's URL). */
  baseUrl: string;
  apiKey: string;
  /** Per-request timeout; the caller's signal can end a request earlier. */
  timeoutMs: number;
  /** Optional attribution headers (`HTTP-Referer`, `X-Title`). */
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
  /** `usage.cost` in credits (≈ USD); null when the provider did not report it. */
  cost: number | null;
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
 * OpenRouter chat-completions client for structured (json_schema) calls. ky with `retry: 0`:
 * Temporal owns retries. Every failure is a provider error (see `provider-errors.ts`).
 */
export function createLlmClient(opts: LlmClientOptions): LlmClient {
  const headers: Record<string, string> = { authorization: `Bearer ${opts.apiKey}` };
  if (opts.referer) headers['HTTP-Referer'] = opts.referer;
  if (opts.appTitle) headers['X-Title'] = opts.appTitle;
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
        provider: { require_parameters: true },
      };
      const ctx = { provider: 'llm' as const, secrets, timeoutMs: opts.timeoutMs, signal: req.signal };
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
          message: 'OpenRouter answered with a non-JSON body',
          retryable: true,
          bodySnippet: snippet(text, secrets),
          cause: err,
        });
      }
      if (typeof env !== 'object' || env === null) {
        throw new ProviderResponseError({
          provider: 'llm',
          message: 'OpenRouter answered with a non-object body',
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
          bodySnippet: snippet(env, secrets),
          code: typeof code === 'string' || typeof code === 'number' ? code : undefined,
          message: `OpenRouter returned an error in a 200 body: ${snippet(env.error.message, secrets, 200)}`,
        });
      }
      const content = env.choices?.[0]?.message?.content;
      if (typeof content !== 'string' || content.length === 0) {
        throw new ProviderResponseError({
          provider: 'llm',
          message: 'OpenRouter answer has no choices[0].message.content',
          retryable: true,
          bodySnippet: snippet(env, secrets),
        });
      }
      const cost = env.usage?.cost;
      return {
        id: typeof env.id === 'string' ? env.id : '',
        model: typeof env.model === 'string' ? env.model : req.model,
        content,
        usage: {
          promptTokens: num(env.usage?.prompt_tokens),
          completionTokens: num(env.usage?.completion_tokens),
          cost: typeof cost === 'number' && Number.isFinite(cost) ? cost : null,
        },
      };
    },
  };
}
