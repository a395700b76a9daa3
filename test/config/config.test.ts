import { describe, expect, test } from 'bun:test';
import { ConfigError, describeConfig, loadConfig, redactUri } from '../../src/config/config';

const OPENROUTER = 'sk-or-v1-SECRET-openrouter-1234567890';
const RUNWARE = 'rw-SECRET-runware-0987654321';
const TEMPORAL_KEY = 'tmprl-SECRET-key-555';
const base = { OPENROUTER_API_KEY: OPENROUTER, RUNWARE_API_KEY: RUNWARE };

function configError(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (e) {
    if (ConfigError.is(e)) return e;
    throw e;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  test('a minimal valid environment parses with the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.temporal).toMatchObject({ address: 'localhost:7233', namespace: 'default', apiKey: undefined, tls: false });
    expect(c.mongo).toEqual({ uri: 'mongodb://localhost:27017', database: 'generia_ai_worker', maxPoolSize: 40, minPoolSize: 10 });
    expect(c.llm.baseUrl).toBe('https://openrouter.ai/api/v1');
    expect(c.llm.defaultModel).toBe('google/gemini-2.5-flash');
    expect(c.llm.models.post_detail).toBe('google/gemini-2.5-flash');
    expect(c.llm.timeoutMs).toBe(300_000);
    expect(c.images.outputFormat).toBe('JPG');
    expect(c.images.sizes).toEqual({
      world_header: { width: 1536, height: 640 },
      world_icon: { width: 512, height: 512 },
      character_avatar: { width: 512, height: 512 },
      post_image: { width: 768, height: 1024 },
    });
    expect(c.images.fallbackCostUsd).toBe(0.0006);
    expect(c.images.timeoutMs).toBe(120_000);
    expect(c.images.httpTimeoutMs).toBe(60_000);
    expect(c.services).toMatchObject({
      characterUrl: 'http://character-service:8089',
      postUrl: 'http://post-service:8082',
      mediaUrl: 'http://media-service:8083',
      worldUrl: 'http://world-service:8088',
      deadlineMs: 15_000,
    });
    expect(c.worker.roles).toEqual(['main', 'llm', 'images', 'progress', 'services']);
    expect(c.worker.maxWorkflowTasks).toBe(100);
    expect(c.worker.maxActivities).toBe(200);
    expect(c.worker.maxConcurrentLlm).toBe(50);
    expect(c.worker.maxConcurrentImages).toBe(30);
    expect(c.worker.maxConcurrentDb).toBe(20);
    expect(c.worker.maxConcurrentGrpc).toBe(100);
    expect(c.worker.llmQueueRatePerSecond).toBeUndefined();
    expect(c.worker.shutdownGraceMs).toBe(30_000);
    expect(c.apiCallLimitHeadroom).toBe(2);
    expect(c.logLevel).toBe('info');
  });

  test('explicit values, overrides and derived defaults', () => {
    const c = loadConfig({
      ...base,
      TEMPORAL_HOST: 'temporal:7233',
      TEMPORAL_API_KEY: TEMPORAL_KEY,
      MAX_CONCURRENT_DB_OPERATIONS: '5',
      LLM_MODEL_POST_DETAIL: 'openai/gpt-4.1-mini',
      IMAGE_OUTPUT_FORMAT: 'webp',
      IMAGE_SIZE_POST_IMAGE: '1024x1024',
      WORKER_ROLES: ' llm, images ,llm',
      LLM_QUEUE_RATE_LIMIT_PER_SECOND: '2.5',
      LOG_LEVEL: 'DEBUG',
      LLM_BASE_URL: 'http://localhost:9999/v1/',
      MONGODB_DATABASE: '',
    });
    expect(c.temporal.address).toBe('temporal:7233');
    expect(c.temporal.tls).toBe(true);
    expect(c.mongo.maxPoolSize).toBe(10);
    expect(c.mongo.minPoolSize).toBe(10);
    expect(c.mongo.database).toBe('generia_ai_worker');
    expect(c.llm.models.post_detail).toBe('openai/gpt-4.1-mini');
    expect(c.llm.models.world_description).toBe('google/gemini-2.5-flash');
    expect(c.llm.baseUrl).toBe('http://localhost:9999/v1');
    expect(c.images.outputFormat).toBe('WEBP');
    expect(c.images.sizes.post_image).toEqual({ width: 1024, height: 1024 });
    expect(c.worker.roles).toEqual(['llm', 'images']);
    expect(c.worker.llmQueueRatePerSecond).toBe(2.5);
    expect(c.logLevel).toBe('debug');
    expect(loadConfig({ ...base, TEMPORAL_ADDRESS: 'a:1', TEMPORAL_HOST: 'b:2', TEMPORAL_TLS: 'false', TEMPORAL_API_KEY: 'k' }).temporal).toMatchObject({
      address: 'a:1',
      tls: false,
    });
  });

  test('the result is deeply frozen', () => {
    const c = loadConfig(base);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.llm.models)).toBe(true);
    expect(Object.isFrozen(c.images.sizes.world_header)).toBe(true);
    expect(Object.isFrozen(c.worker.roles)).toBe(true);
    expect(() => {
      (c as { logLevel: string }).logLevel = 'debug';
    }).toThrow();
  });

  test('every problem is listed, one per line, without secret values', () => {
    const e = configError({
      RUNWARE_API_KEY: RUNWARE,
      TEMPORAL_API_KEY: TEMPORAL_KEY,
      MAX_CONCURRENT_LLM_REQUESTS: 'abc',
      MAX_CONCURRENT_IMAGE_REQUESTS: '1.5',
      MAX_CONCURRENT_GRPC_CALLS: '0',
      IMAGE_OUTPUT_FORMAT: 'GIF',
      IMAGE_SIZE_WORLD_HEADER: '1000x640',
      IMAGE_SIZE_WORLD_ICON: 'big',
      WORKER_ROLES: 'main,cooking',
      LOG_LEVEL: 'verbose',
      TEMPORAL_TLS: 'maybe',
      LLM_BASE_URL: 'not a url',
      MONGODB_URI: 'postgres://user:hunter2@db',
      MONGODB_MIN_POOL_SIZE: '-1',
    });
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.name).toBe('ConfigError');
    const vars = e.problems.map((p) => p.variable).sort();
    expect(vars).toEqual(
      [
        'OPENROUTER_API_KEY',
        'MAX_CONCURRENT_LLM_REQUESTS',
        'MAX_CONCURRENT_IMAGE_REQUESTS',
        'MAX_CONCURRENT_GRPC_CALLS',
        'IMAGE_OUTPUT_FORMAT',
        'IMAGE_SIZE_WORLD_HEADER',
        'IMAGE_SIZE_WORLD_ICON',
        'WORKER_ROLES',
        'LOG_LEVEL',
        'TEMPORAL_TLS',
        'LLM_BASE_URL',
        'MONGODB_URI',
        'MONGODB_MIN_POOL_SIZE',
      ].sort(),
    );
    const lines = e.message.split('\n').slice(1);
    expect(lines).toHaveLength(vars.length);
    for (const v of vars) expect(e.message).toContain(v);
    expect(e.message).toContain('"abc" is not an integer');
    expect(e.message).toContain('"GIF"');
    expect(e.message).toContain('cooking');
    expect(e.message).toMatch(/OPENROUTER_API_KEY: is missing or empty; expected a non-empty OpenRouter API key/);
    for (const s of [RUNWARE, TEMPORAL_KEY, 'hunter2']) expect(e.message).not.toContain(s);
    for (const p of e.problems) expect(p.expected.length).toBeGreaterThan(0);
  });

  test('empty or whitespace-only required secrets are rejected', () => {
    const e = configError({ OPENROUTER_API_KEY: '', RUNWARE_API_KEY: '   ' });
    expect(e.problems.map((p) => p.variable).sort()).toEqual(['OPENROUTER_API_KEY', 'RUNWARE_API_KEY']);
  });

  test('min pool size above max pool size is rejected', () => {
    const e = configError({ ...base, MONGODB_MAX_POOL_SIZE: '5', MONGODB_MIN_POOL_SIZE: '6' });
    expect(e.problems).toEqual([
      { variable: 'MONGODB_MIN_POOL_SIZE', problem: '6 is above the maximum pool size', expected: expect.any(String) },
    ]);
  });
});

describe('describeConfig / redactUri', () => {
  test('describeConfig never contains secrets', () => {
    const c = loadConfig({
      ...base,
      TEMPORAL_API_KEY: TEMPORAL_KEY,
      MONGODB_URI: 'mongodb://admin:s3cr3tpw@mongo-1:27017,mongo-2:27017/?replicaSet=rs0',
    });
    const text = JSON.stringify(describeConfig(c));
    for (const s of [OPENROUTER, RUNWARE, TEMPORAL_KEY, 's3cr3tpw']) expect(text).not.toContain(s);
    const d = describeConfig(c) as { llm: { apiKey: string }; temporal: { apiKey: string }; mongo: { uri: string } };
    expect(d.llm.apiKey).toBe('set');
    expect(d.temporal.apiKey).toBe('set');
    // Every URL in the view loses user-info and query (a MongoDB query may carry tlsCertificateKeyFilePassword=…).
    expect(d.mongo.uri).toBe('mongodb://mongo-1:27017,mongo-2:27017/?[redacted]');
    expect((describeConfig(loadConfig(base)) as { temporal: { apiKey: string } }).temporal.apiKey).toBe('missing');
  });

  test('redactUri hides the password and keeps the rest', () => {
    expect(redactUri('mongodb://admin:password@mongodb:27017')).toBe('mongodb://admin:***@mongodb:27017');
    expect(redactUri('mongodb+srv://u:p%40ss@cluster.example.net/db?w=majority')).toBe(
      'mongodb+srv://u:***@cluster.example.net/db?w=majority',
    );
    expect(redactUri('mongodb://localhost:27017')).toBe('mongodb://localhost:27017');
    expect(redactUri('mongodb://user@host')).toBe('mongodb://user@host');
    expect(redactUri('mongodb://host/?authSource=admin&password=xyz')).toBe('mongodb://host/?authSource=admin&password=***');
  });
});
