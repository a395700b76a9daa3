/**
 * Spend, end to end, through a stand-in that behaves like the OpenAI API (refuses unknown request fields with 400,
 * reports tokens but never `usage.cost`): the worker is configured as OpenAI-compatible purely by its base URL, prices
 * answers from LLM_PRICES, reserves each call's expected cost against a world's budget before sending it, and the
 * cost report of a world adds up to its status document and to what the stand-ins billed.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { randomUUID as newWorldId } from 'node:crypto';
import { createRepositories } from '../../src/repositories';
import { worldCostReport } from '../../src/reports/cost-report';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, type WorldHarness } from '../support/world-harness';

const MODEL = 'google/gemini-2.5-flash';
const PRICE = { input: 0.3, output: 2.5 }; // USD per million tokens, for the worker and the stand-in alike
const IMAGE_COST = 0.0013; // what the Runware stand-in reports per render

let h: WorldHarness;

beforeAll(async () => {
  h = await startWorldHarness({
    llm: { dialect: 'openai', openAiPricePerMillion: PRICE },
    env: {
      LLM_PRICES: JSON.stringify({ [MODEL]: PRICE }),
      // The image reservation: the price a render really costs here, so a budget is a hard ceiling.
      IMAGE_FALLBACK_COST_USD: String(IMAGE_COST),
    },
  });
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

beforeEach(() => {
  h.llm.reset();
  h.images.reset();
});

const world = (overrides: Record<string, unknown> = {}) => ({
  world_id: newWorldId(),
  world_name: 'Ledger Coast',
  world_prompt: 'A harbour city whose tides are auctioned every dawn.',
  characters_count: 1,
  posts_count: 1,
  ...overrides,
});

const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const billedLlm = () => sum(h.llm.requests.filter((r) => r.status === 200).map((r) => r.cost ?? 0));
const billedImages = () => sum(h.images.requests.filter((r) => r.status === 200).map((r) => r.cost ?? 0));

describe('an OpenAI-compatible endpoint', () => {
  test(
    'a world completes, priced from LLM_PRICES (non-zero), and its cost report equals its status totals and the bills',
    async () => {
      const input = world();
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);
      expect(status.status).toBe('completed');

      // Only OpenAI's fields were sent: the stand-in would have answered 400 to OpenRouter's `provider` / `usage`.
      expect(h.llm.requests.length).toBeGreaterThan(0);
      expect(h.llm.requests.every((r) => r.status === 200)).toBe(true);
      expect(h.llm.requests.some((r) => 'provider' in r.body || 'usage' in r.body)).toBe(false);

      // No cost was reported, yet the world's LLM cost is the bill at the configured prices — never a silent 0.
      expect(status.llm_cost_total).toBeGreaterThan(0);
      expect(status.llm_cost_total).toBeCloseTo(billedLlm(), 12);
      expect(status.image_cost_total).toBeCloseTo(billedImages(), 12);
      expect(status.budget_usd).toBeUndefined(); // no budget configured or sent: none

      const report = (await worldCostReport(createRepositories(h.db), input.world_id))!;
      expect(report.matchesStatus).toBe(true);
      expect(report.uncountedAnswers).toBe(0);
      expect(report.totals.llmCostUsd).toBeCloseTo(status.llm_cost_total, 12);
      expect(report.totals.imageCostUsd).toBeCloseTo(status.image_cost_total, 12);
      expect(report.totals.promptTokens).toBe(sum(h.llm.requests.map((r) => r.promptTokens)));
      expect(report.totals.completionTokens).toBe(sum(h.llm.requests.map((r) => r.completionTokens)));
      expect(sum(report.lines.filter((l) => l.provider === 'llm').map((l) => l.answers))).toBe(h.llm.requests.length);
      expect(sum(report.lines.filter((l) => l.provider === 'images').map((l) => l.answers))).toBe(h.images.requests.length);
      const description = report.lines.find((l) => l.step === 'world_description')!;
      expect(description).toMatchObject({ provider: 'llm', model: MODEL, answers: 1, retries: 0, repairs: 0 });
      expect(report.entries.filter((e) => e.provider === 'llm').every((e) => e.costSource === 'price_table')).toBe(true);
      expect(report.lines.map((l) => l.step)).toContain('post_image');
    },
    120_000,
  );
});

describe('a per-world budget', () => {
  test(
    'stops the world before the call that would pass it: that call never reaches the provider, the world fails with the reason',
    async () => {
      // The description (≈ $0.011 reserved at 4,096 output tokens, ≈ $0.002 billed) and the image prompts (≈ $0.006
      // reserved) fit in $0.02; the character batch alone reserves 8,192 × $2.5/M ≈ $0.0205 and never can.
      const input = world({ characters_count: 3, posts_count: 10, budget_usd: 0.02 });
      await h.startWorld(input);
      const status = await h.waitForWorld(input.world_id);

      expect(status.status).toBe('failed');
      expect(status.error).toBe('budget of $0.02 reached');
      expect(status.budget_usd).toBe(0.02);
      expect(status.stages.some((s: { status: string }) => s.status === 'in_progress' || s.status === 'pending')).toBe(false);

      // Zero requests past the budget: the batch that would have passed it was never sent, and every request that
      // was sent is one the world counted and paid for within the budget.
      expect(h.llm.requests.filter((r) => r.schemaName === 'CharacterBatchResponse')).toHaveLength(0);
      expect(h.llm.requests.filter((r) => r.schemaName === 'WorldDescriptionResponse')).toHaveLength(1);
      expect(status.api_calls_made_LLM).toBe(h.llm.requests.length);
      expect(status.api_calls_made_images).toBe(h.images.requests.length);
      const spent = status.llm_cost_total + status.image_cost_total;
      expect(spent).toBeGreaterThan(0);
      expect(spent).toBeLessThanOrEqual(0.02);
      expect(spent).toBeCloseTo(billedLlm() + billedImages(), 12);
      // Everything answered is settled to its real cost: the committed sum is what was spent.
      expect(status.budget_committed_usd).toBeCloseTo(spent, 12);

      const report = (await worldCostReport(createRepositories(h.db), input.world_id))!;
      expect(report.budgetUsd).toBe(0.02);
      expect(report.budgetCommittedUsd).toBeCloseTo(spent, 12);
      expect(report.matchesStatus).toBe(true);
      expect(report.lines.some((l) => l.step === 'character_batch')).toBe(false);
    },
    120_000,
  );
});
