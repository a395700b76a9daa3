/** Spending: the LLM endpoint's dialect, model prices, per-world budgets, and how long a provider may make us wait. */
import * as v from 'valibot';

import { LLM_STEPS } from '../../domain/steps';
import { isLoopbackUrl, LLM_PROVIDERS, llmProviderOf, parsePriceTable, unpricedModels, type PriceTable } from '../../domain/pricing';
import { defineSection, envVar } from '../define';
import { integer, number, oneOf } from '../schemas';
import { DEFAULT_LLM_MODEL, LLM_BASE_URL, LLM_MODELS } from './llm';

const LLM_PROVIDER = envVar({
  name: 'LLM_PROVIDER',
  schema: oneOf(LLM_PROVIDERS, (s) => s.toLowerCase()),
  doc:
    "Which dialect the LLM endpoint speaks. `openrouter` adds OpenRouter's own request fields (`provider.require_parameters`, `usage.include`) and headers (`HTTP-Referer`, `X-Title`) and trusts its `usage.cost`; `openai-compatible` sends only OpenAI chat-completions fields (OpenAI answers 400 to unknown ones) and prices answers from LLM_PRICES.",
  expected: `one of ${LLM_PROVIDERS.join('|')}, or unset (decided from LLM_BASE_URL)`,
  defaultText: 'openrouter when LLM_BASE_URL is on openrouter.ai, else openai-compatible',
});

const priceTable = () =>
  v.pipe(
    v.string(),
    v.rawTransform(({ dataset, addIssue, NEVER }): PriceTable => {
      const parsed = parsePriceTable(dataset.value);
      if (parsed.ok) return parsed.table;
      addIssue({ message: parsed.problems.join('; ') });
      return NEVER;
    }),
  );

const LLM_PRICES = envVar({
  name: 'LLM_PRICES',
  schema: priceTable(),
  doc:
    'USD per million input and output tokens per model. Prices an answer whose endpoint reports no cost (every OpenAI-compatible endpoint: then each configured model must be listed, unless the endpoint is on loopback — a local server bills nothing) and sizes the budget reservation of every LLM call (with a budget, each model must be listed).',
  expected: 'JSON like {"gpt-4o-mini":{"input":0.15,"output":0.6}}',
  example: '{"google/gemini-2.5-flash":{"input":0.3,"output":2.5}}',
});

export default defineSection({
  key: 'spend',
  title: 'Spend',
  vars: {
    provider: LLM_PROVIDER,
    llmPrices: LLM_PRICES,
    defaultWorldBudgetUsd: envVar({
      name: 'WORLD_BUDGET_USD',
      schema: number(0, 100_000, true),
      doc:
        "Budget of a world whose start carries no `budget_usd` (world-service sends none today). A paid call whose expected cost would take the world's committed spend past it is not sent; the world fails with \"budget of $X reached\", like a call limit.",
      expected: 'a number above 0 and at most 100000 (USD), or unset (no budget)',
      defaultText: 'unset (no budget)',
    }),
    retryAfterCeilingMs: envVar({
      name: 'PROVIDER_RETRY_AFTER_MAX_MS',
      schema: integer(0, 3_600_000),
      default: '60000',
      doc: "Longest `Retry-After` a provider may impose before the next attempt: the LLM and image retry policies never wait more than a minute between attempts, and a longer ask (or a broken proxy's) is cut to this.",
      expected: 'an integer 0..3600000 (milliseconds)',
    }),
  },
  derive: (e, lookup) => ({
    provider: e.provider ?? llmProviderOf(lookup(LLM_BASE_URL)),
    llmPrices: e.llmPrices ?? {},
    defaultWorldBudgetUsd: e.defaultWorldBudgetUsd ?? null,
    retryAfterCeilingMs: e.retryAfterCeilingMs,
  }),
  // Checked at start-up, not at a world's first call: models are configuration, so a model that could be counted
  // at no cost is a configuration error, and the worker refuses to start rather than let worlds look free.
  check: (e, lookup) => {
    const provider = e.provider ?? llmProviderOf(lookup(LLM_BASE_URL));
    const fallback = lookup(DEFAULT_LLM_MODEL);
    const models = LLM_STEPS.map((s) => lookup(LLM_MODELS.members[s]) ?? fallback);
    const prices = e.llmPrices ?? {};
    const problems = [];
    // A local server (or a stand-in) bills nothing: its unpriced models are free, not uncounted.
    const unpriced = isLoopbackUrl(lookup(LLM_BASE_URL)) ? [] : unpricedModels(provider, models, prices);
    if (unpriced.length > 0) {
      problems.push({
        variable: LLM_PRICES,
        problem: `has no price for ${unpriced.map((m) => JSON.stringify(m)).join(', ')}: an ${provider} endpoint (LLM_BASE_URL ${JSON.stringify(lookup(LLM_BASE_URL))}) reports no cost, so every configured model needs one`,
      });
    }
    const budgeted = e.defaultWorldBudgetUsd !== undefined ? unpricedModels('openai-compatible', models, prices).filter((m) => !unpriced.includes(m)) : [];
    if (budgeted.length > 0) {
      problems.push({
        variable: LLM_PRICES,
        problem: `has no price for ${budgeted.map((m) => JSON.stringify(m)).join(', ')}: WORLD_BUDGET_USD is set, and a call is reserved against the budget at its model's price before it is sent`,
      });
    }
    return problems;
  },
});
