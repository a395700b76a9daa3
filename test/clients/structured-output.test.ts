import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import * as v from 'valibot';
import { createLlmClient } from '../../src/clients/llm-client';
import {
  generateStructured,
  jsonSchemaFor,
  type StructuredRequestOutcome,
} from '../../src/clients/structured-output';
import {
  isInvalidModelOutputError,
  isProviderHttpError,
  type InvalidModelOutputError,
} from '../../src/clients/provider-errors';
import { startOpenRouterStandIn, type OpenRouterStandIn } from '../../dev/stand-ins/openrouter/index';

const CharacterBatch = v.strictObject({
  characters: v.pipe(
    v.array(
      v.strictObject({
        username: v.pipe(v.string(), v.minLength(3), v.maxLength(30)),
        display_name: v.string(),
        bio: v.pipe(v.string(), v.maxLength(280)),
        posts_count: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(10)),
      }),
    ),
    v.minLength(1),
    v.maxLength(20),
  ),
  theme: v.nullable(v.string()),
});

let stand: OpenRouterStandIn;
beforeAll(async () => {
  stand = await startOpenRouterStandIn({ costPerRequest: 0.001 });
});
afterAll(async () => {
  await stand.close();
});
beforeEach(() => stand.reset());

function setup(timeoutMs = 2000) {
  const llm = createLlmClient({ baseUrl: stand.url, apiKey: 'k-test-123456', timeoutMs });
  const outcomes: StructuredRequestOutcome[] = [];
  const before: number[] = [];
  const args = {
    llm,
    model: 'google/gemini-2.0-flash-001',
    schema: CharacterBatch,
    schemaName: 'character_batch',
    messages: [{ role: 'user' as const, content: 'Invent exactly 5 characters for a world of floating islands.' }],
    temperature: 0.7,
    maxTokens: 2000,
    hooks: {
      beforeRequest: async (i: number) => {
        before.push(i);
      },
      afterRequest: async (o: StructuredRequestOutcome) => {
        outcomes.push(o);
      },
    },
  };
  return { args, outcomes, before };
}

async function catchErr(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('jsonSchemaFor', () => {
  test('strips $schema and caches per schema', () => {
    const a = jsonSchemaFor(CharacterBatch);
    expect(a.$schema).toBeUndefined();
    expect(a.type).toBe('object');
    expect(a.additionalProperties).toBe(false);
    expect(jsonSchemaFor(CharacterBatch)).toBe(a);
  });
});

describe('generateStructured', () => {
  test('success on first request: typed value, usage, hooks', async () => {
    const { args, outcomes, before } = setup();
    const res = await generateStructured(args);
    expect(res.requests).toBe(1);
    expect(res.value.characters).toHaveLength(5);
    expect(new Set(res.value.characters.map((c) => c.username)).size).toBe(5);
    expect(res.usage.cost).toBeCloseTo(0.001);
    expect(res.usage.promptTokens).toBeGreaterThan(0);
    expect(before).toEqual([0]);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]!.index).toBe(0);
    expect(outcomes[0]!.response?.usage.cost).toBe(0.001);
    expect(outcomes[0]!.request.schemaName).toBe('character_batch');
    expect(outcomes[0]!.invalidOutput).toBeUndefined();
    // The schema the stand-in received is the cached JSON schema.
    expect(stand.requests[0]!.body.response_format.json_schema.schema).toEqual(jsonSchemaFor(CharacterBatch));
  });

  test('schema-invalid reply → exactly 2 requests, repaired, costs summed', async () => {
    stand.faults.push({ schemaInvalid: true });
    const { args, outcomes, before } = setup();
    const res = await generateStructured(args);
    expect(res.requests).toBe(2);
    expect(stand.requests).toHaveLength(2);
    expect(res.usage.cost).toBeCloseTo(0.002);
    expect(res.usage.promptTokens).toBe(stand.requests[0]!.promptTokens + stand.requests[1]!.promptTokens);
    expect(before).toEqual([0, 1]);
    expect(outcomes.map((o) => o.index)).toEqual([0, 1]);
    expect(outcomes[0]!.invalidOutput).toBeString();
    // Repair request: original messages + bad assistant reply + a user message with the issues.
    const repairMessages = stand.requests[1]!.body.messages as Array<{ role: string; content: string }>;
    expect(repairMessages).toHaveLength(3);
    expect(repairMessages[1]!.role).toBe('assistant');
    expect(repairMessages[2]!.role).toBe('user');
    expect(repairMessages[2]!.content).toContain('characters');
    // The count from the original message still applies on repair.
    expect(res.value.characters).toHaveLength(5);
  });

  test('malformed JSON reply is repaired the same way', async () => {
    stand.faults.push({ malformed: true });
    const { args } = setup();
    const res = await generateStructured(args);
    expect(res.requests).toBe(2);
    expect(stand.requests).toHaveLength(2);
    expect(stand.requests[1]!.body.messages[2].content).toContain('not valid JSON');
    expect(res.usage.cost).toBeCloseTo(0.002);
  });

  test('two invalid replies → InvalidModelOutputError after exactly 2 requests; both recorded by afterRequest', async () => {
    stand.faults.push({ schemaInvalid: true }, 2);
    const { args, outcomes } = setup();
    const err = (await catchErr(generateStructured(args))) as InvalidModelOutputError;
    expect(isInvalidModelOutputError(err)).toBe(true);
    expect(err.retryable).toBe(false);
    expect(err.issues.length).toBeGreaterThan(0);
    expect(stand.requests).toHaveLength(2);
    expect(outcomes).toHaveLength(2);
    expect(outcomes.reduce((n, o) => n + (o.response?.usage.cost ?? 0), 0)).toBeCloseTo(0.002);
  });

  test('fewerItems is valid for the schema (no repair) — counts are the caller’s business', async () => {
    stand.faults.push({ fewerItems: 2 });
    const { args } = setup();
    const res = await generateStructured(args);
    expect(res.requests).toBe(1);
    expect(res.value.characters).toHaveLength(3);
  });

  test('beforeRequest throwing stops before any request is sent', async () => {
    const { args } = setup();
    const err = await catchErr(
      generateStructured({
        ...args,
        hooks: {
          beforeRequest: async () => {
            throw new Error('api call limit reached');
          },
        },
      }),
    );
    expect((err as Error).message).toBe('api call limit reached');
    expect(stand.requests).toHaveLength(0);
  });

  test('beforeRequest throwing before the repair stops after one request', async () => {
    stand.faults.push({ schemaInvalid: true });
    const { args } = setup();
    const err = await catchErr(
      generateStructured({
        ...args,
        hooks: {
          beforeRequest: async (i) => {
            if (i === 1) throw new Error('limit');
          },
        },
      }),
    );
    expect((err as Error).message).toBe('limit');
    expect(stand.requests).toHaveLength(1);
  });

  test('HTTP error: afterRequest sees the error, the provider error propagates unchanged', async () => {
    stand.faults.push({ status: 429, retryAfter: 2 });
    const { args, outcomes } = setup();
    const err = await catchErr(generateStructured(args));
    expect(isProviderHttpError(err)).toBe(true);
    expect(outcomes).toHaveLength(1);
    expect(isProviderHttpError(outcomes[0]!.error)).toBe(true);
    expect(outcomes[0]!.response).toBeUndefined();
    expect(stand.requests).toHaveLength(1);
  });

  test('HTTP error on the repair request propagates after one successful-but-invalid request', async () => {
    stand.faults.push({ schemaInvalid: true });
    stand.faults.push({ status: 500 });
    const { args, outcomes } = setup();
    const err = await catchErr(generateStructured(args));
    expect(isProviderHttpError(err)).toBe(true);
    expect(outcomes.map((o) => [o.index, o.error === undefined])).toEqual([
      [0, true],
      [1, false],
    ]);
  });
});
