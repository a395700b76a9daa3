/**
 * What LLM calls cost when the endpoint does not say, and what a call is expected to cost before it is sent.
 * Pure (no imports): used by configuration (to check that every configured model is priced), by the LLM client
 * (to price an answer that reports no `usage.cost`) and by the budget reservation (to price a call before it leaves).
 * @module
 */

/** USD per million tokens, as providers publish their prices. */
export interface ModelPrice {
  readonly inputPerMillion: number;
  readonly outputPerMillion: number;
}

/** Model id → price. */
export type PriceTable = Readonly<Record<string, ModelPrice>>;

/**
 * Which wire dialect the LLM endpoint speaks. `openrouter` adds OpenRouter's own request fields
 * (`provider.require_parameters`, `usage.include`) and attribution headers and trusts `usage.cost`;
 * `openai-compatible` sends only fields of the OpenAI chat-completions API (which rejects unknown ones with 400) and
 * prices every answer from the price table.
 */
export const LLM_PROVIDERS = ['openrouter', 'openai-compatible'] as const;
export type LlmProvider = (typeof LLM_PROVIDERS)[number];

/** OpenRouter when the base URL's host is openrouter.ai (or a subdomain), else an OpenAI-compatible endpoint. */
export function llmProviderOf(baseUrl: string, override?: LlmProvider): LlmProvider {
  if (override) return override;
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return 'openai-compatible';
  }
  return host === 'openrouter.ai' || host.endsWith('.openrouter.ai') ? 'openrouter' : 'openai-compatible';
}

/**
 * Parses a price table: a JSON object `{ "<model>": { "input": <USD per 1M input tokens>, "output": <USD per 1M
 * output tokens> } }`. Returns the problems (naming the model and field) instead of throwing, for the config report.
 */
export function parsePriceTable(text: string): { ok: true; table: PriceTable } | { ok: false; problems: string[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { ok: false, problems: [`is not JSON (${(err as Error).message})`] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: ['must be a JSON object of model id → { "input": USD, "output": USD } per million tokens'] };
  }
  const table: Record<string, ModelPrice> = {};
  const problems: string[] = [];
  for (const [model, value] of Object.entries(raw as Record<string, unknown>)) {
    if (model.trim() === '') {
      problems.push('has an empty model id');
      continue;
    }
    const entry = value as { input?: unknown; output?: unknown } | null;
    const input = entry?.input;
    const output = entry?.output;
    const bad = (v: unknown) => typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 10_000;
    if (entry === null || typeof entry !== 'object' || bad(input) || bad(output)) {
      problems.push(`${JSON.stringify(model)} needs "input" and "output" numbers 0..10000 (USD per million tokens)`);
      continue;
    }
    table[model] = { inputPerMillion: input as number, outputPerMillion: output as number };
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, table };
}

/** The cost of a call from its token counts. */
export function costFromPrice(price: ModelPrice, promptTokens: number, completionTokens: number): number {
  return (promptTokens * price.inputPerMillion + completionTokens * price.outputPerMillion) / 1_000_000;
}

/**
 * Whether the endpoint runs on this machine (localhost, 127.0.0.0/8, ::1): a local model server (Ollama, vLLM,
 * llama.cpp) or a stand-in. Its tokens cost nothing per call, so an unpriced model there is truthfully free.
 */
export function isLoopbackUrl(baseUrl: string): boolean {
  let host: string;
  try {
    host = new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return false;
  }
  return host === 'localhost' || host.endsWith('.localhost') || /^127(\.\d{1,3}){3}$/.test(host) || host === '[::1]' || host === '::1';
}

/**
 * Models that an endpoint would leave without any cost figure: for an OpenAI-compatible endpoint every configured
 * model needs a price (OpenAI-style APIs report tokens, never money); OpenRouter reports `usage.cost` itself.
 */
export function unpricedModels(provider: LlmProvider, models: readonly string[], table: PriceTable): string[] {
  if (provider === 'openrouter') return [];
  return [...new Set(models)].filter((m) => table[m] === undefined).sort();
}

/**
 * Bytes of UTF-8 per input token assumed when a call is priced before it is sent. English runs at about 4 bytes a
 * token, code and JSON at about 3, CJK text at about 3 (one character, one token); 3 keeps the estimate at or above
 * what most prompts really cost without tokenizing them. The estimate only sizes a reservation: the settled cost is
 * the provider's figure (or the token counts it reports, priced).
 */
export const BYTES_PER_INPUT_TOKEN = 3;

/** Tokens a chat message costs beyond its text (role and separators, as OpenAI's counting guide gives). */
const TOKENS_PER_MESSAGE = 4;

function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * The tokens a structured chat call is expected to use, before it is sent: its messages and the JSON schema it
 * sends (structured-output providers put the schema into the prompt) at {@link BYTES_PER_INPUT_TOKEN}, and its
 * `max_tokens` as output — the most it can produce, so the reservation is not exceeded by a long answer.
 */
export function expectedChatTokens(req: { messages: readonly { content: string }[]; schema?: object; maxTokens: number }): {
  promptTokens: number;
  completionTokens: number;
} {
  let bytes = 0;
  for (const m of req.messages) bytes += utf8Bytes(m.content);
  if (req.schema) bytes += utf8Bytes(JSON.stringify(req.schema));
  return { promptTokens: Math.ceil(bytes / BYTES_PER_INPUT_TOKEN) + TOKENS_PER_MESSAGE * req.messages.length, completionTokens: req.maxTokens };
}
