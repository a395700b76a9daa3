import { describe, expect, test } from 'bun:test';
import { budgetReachedReason, formatUsd } from '../../src/domain/budget';
import { costFromPrice, expectedChatTokens, isLoopbackUrl, llmProviderOf, parsePriceTable, unpricedModels } from '../../src/domain/pricing';
import { attemptKindOf } from '../../src/reports/cost-report';
import { loadConfig } from '../../src/config/config';
import { describeConfig } from '../../src/config/config';

describe('pricing', () => {
  test('the provider is decided from the base URL unless set', () => {
    expect(llmProviderOf('https://openrouter.ai/api/v1')).toBe('openrouter');
    expect(llmProviderOf('https://eu.openrouter.ai/api/v1')).toBe('openrouter');
    expect(llmProviderOf('https://api.openai.com/v1')).toBe('openai-compatible');
    expect(llmProviderOf('https://notopenrouter.ai/v1')).toBe('openai-compatible');
    expect(llmProviderOf('https://api.openai.com/v1', 'openrouter')).toBe('openrouter');
    expect([isLoopbackUrl('http://127.0.0.1:8080/v1'), isLoopbackUrl('http://localhost:11434/v1'), isLoopbackUrl('https://api.openai.com/v1')]).toEqual([true, true, false]);
  });

  test('price tables parse, and bad entries are named', () => {
    expect(parsePriceTable('{"gpt-4o-mini":{"input":0.15,"output":0.6}}')).toEqual({ ok: true, table: { 'gpt-4o-mini': { inputPerMillion: 0.15, outputPerMillion: 0.6 } } });
    const bad = parsePriceTable('{"a":{"input":-1,"output":1},"b":{"input":1}}');
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.problems.join(' ')).toContain('"a"');
    expect(!bad.ok && bad.problems.join(' ')).toContain('"b"');
    expect(parsePriceTable('[1]').ok).toBe(false);
  });

  test('costs and expected tokens', () => {
    expect(costFromPrice({ inputPerMillion: 0.3, outputPerMillion: 2.5 }, 1_000_000, 1_000_000)).toBeCloseTo(2.8, 12);
    const t = expectedChatTokens({ messages: [{ content: 'x'.repeat(300) }], maxTokens: 4096 });
    expect(t).toEqual({ promptTokens: 104, completionTokens: 4096 });
    expect(unpricedModels('openai-compatible', ['a', 'b', 'a'], { a: { inputPerMillion: 1, outputPerMillion: 1 } })).toEqual(['b']);
    expect(unpricedModels('openrouter', ['b'], {})).toEqual([]);
  });

  test('budget wording', () => {
    expect([formatUsd(0.02), formatUsd(5), formatUsd(0.0012), formatUsd(1.234567891)]).toEqual(['$0.02', '$5.00', '$0.0012', '$1.234568']);
    expect(budgetReachedReason(0.5)).toBe('budget of $0.50 reached');
  });

  test('attempt kinds from positions', () => {
    expect(attemptKindOf('llm:w1:character-batch:0:character_batch:q2:r1', 1)).toMatchObject({ step: 'character_batch', taskId: 'w1:character-batch:0', topUp: true, repair: true, retry: true });
    expect(attemptKindOf('image:w1:character:0:avatar:character_avatar:q1', 0)).toMatchObject({ provider: 'images', step: 'character_avatar', regeneration: true, retry: false });
    expect(attemptKindOf('other', 0)).toBeNull();
  });
});

describe('configuration', () => {
  const base = { OPENROUTER_API_KEY: 'sk-x', RUNWARE_API_KEY: 'rw-y' };

  test('an OpenAI-compatible endpoint with an unpriced model stops start-up, naming the model and LLM_PRICES', () => {
    expect(() => loadConfig({ ...base, LLM_BASE_URL: 'https://api.openai.com/v1', DEFAULT_LLM_MODEL: 'gpt-4o-mini' })).toThrow(/LLM_PRICES: has no price for "gpt-4o-mini"/);
    const ok = loadConfig({ ...base, LLM_BASE_URL: 'https://api.openai.com/v1', DEFAULT_LLM_MODEL: 'gpt-4o-mini', LLM_PRICES: '{"gpt-4o-mini":{"input":0.15,"output":0.6}}' });
    expect(ok.spend.provider).toBe('openai-compatible');
    expect(() => loadConfig({ ...base, WORLD_BUDGET_USD: '2' })).toThrow(/WORLD_BUDGET_USD is set/);
    expect(loadConfig(base).spend).toEqual({ provider: 'openrouter', llmPrices: {}, defaultWorldBudgetUsd: null, retryAfterCeilingMs: 60_000 });
  });

  test('the start-up view of the configuration holds no URL credentials or query strings', () => {
    const config = loadConfig({
      ...base,
      LLM_BASE_URL: 'https://proxy-user:proxy-pass-123@gateway.example/v1?api-key=sekret-query-456',
      RUNWARE_BASE_URL: 'https://api.runware.ai/v1?token=another-secret-789',
      LLM_PROVIDER: 'openrouter',
      MONGODB_URI: 'mongodb://admin:mongo-pass-000@db.example:27017/?authSource=admin',
    });
    const text = JSON.stringify(describeConfig(config));
    for (const secret of ['proxy-pass-123', 'proxy-user', 'sekret-query-456', 'another-secret-789', 'mongo-pass-000']) expect(text).not.toContain(secret);
    expect(text).toContain('https://gateway.example/v1?[redacted]');
  });
});

test('a configuration error that echoes a bad URL-like value shows it without credentials or query', () => {
  let message = '';
  try {
    loadConfig({ OPENROUTER_API_KEY: 'sk-x', RUNWARE_API_KEY: 'rw-y', LLM_TIMEOUT_MS: 'https://user:hunter2-pass@x.example/?key=abcdef123456' });
  } catch (err) {
    message = (err as Error).message;
  }
  expect(message).toContain('LLM_TIMEOUT_MS');
  expect(message).not.toContain('hunter2-pass');
  expect(message).not.toContain('abcdef123456');
});
