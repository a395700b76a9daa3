/** The LLM endpoint (OpenRouter or any OpenAI-compatible one) and the model per step. */
import { LLM_STEPS, type LlmStep } from '../../domain/steps';
import { defineSection, envFamily, envVar } from '../define';
import { httpUrl, integer, text } from '../schemas';

// Exported for the spend section's check (src/config/vars/spend.ts: every model an OpenAI-compatible endpoint serves needs a price).
export const LLM_BASE_URL = envVar({
  name: 'LLM_BASE_URL',
  schema: httpUrl(),
  default: 'https://openrouter.ai/api/v1',
  doc: 'OpenAI-compatible chat completions base URL (trailing slashes removed).',
  expected: 'an http(s) URL',
});
export const DEFAULT_LLM_MODEL = envVar({
  name: 'DEFAULT_LLM_MODEL',
  schema: text(),
  default: 'google/gemini-2.5-flash',
  doc: "Model for every step without its own LLM_MODEL_<STEP>; successor of the original's hard-coded Gemini Flash.",
  expected: 'an OpenRouter model id such as google/gemini-2.5-flash',
});
export const LLM_MODELS = envFamily({
  keys: LLM_STEPS,
  pattern: 'LLM_MODEL_<STEP>',
  name: (s) => `LLM_MODEL_${s.toUpperCase()}`,
  schema: text(),
  doc: 'Model for one step.',
  expected: 'an OpenRouter model id, or unset (DEFAULT_LLM_MODEL)',
  defaultText: 'DEFAULT_LLM_MODEL',
});

export default defineSection({
  key: 'llm',
  title: 'LLM (OpenRouter)',
  vars: {
    apiKey: envVar({
      name: 'OPENROUTER_API_KEY',
      schema: text(),
      required: true,
      secret: true,
      doc: 'OpenRouter API key; required, every workflow needs the LLM.',
      expected: 'a non-empty OpenRouter API key',
    }),
    baseUrl: LLM_BASE_URL,
    defaultModel: DEFAULT_LLM_MODEL,
    models: LLM_MODELS,
    timeoutMs: envVar({
      name: 'LLM_TIMEOUT_MS',
      schema: integer(1000, 3_600_000),
      default: '300000',
      doc: 'Bounds one completion request; long structured completions (world description) can take minutes.',
      expected: 'an integer 1000..3600000 (milliseconds)',
    }),
    httpReferer: envVar({
      name: 'LLM_HTTP_REFERER',
      schema: text(),
      doc: "OpenRouter's optional app attribution header (`HTTP-Referer`).",
      expected: 'a URL or unset',
    }),
    appTitle: envVar({
      name: 'LLM_APP_TITLE',
      schema: text(),
      doc: "OpenRouter's optional app title header (`X-Title`).",
      expected: 'a short title or unset',
    }),
  },
  derive: (e) => ({
    ...e,
    models: Object.fromEntries(LLM_STEPS.map((s) => [s, e.models[s] ?? e.defaultModel])) as Record<LlmStep, string>,
  }),
});
