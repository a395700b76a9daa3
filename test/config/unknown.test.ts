/** Misspelt variables with our prefixes are reported with the closest declared name instead of being ignored. */
import { describe, expect, test } from 'bun:test';
import { editDistance, unknownVariables, unknownVariableWarnings, WATCHED_PREFIXES } from '../../src/config/unknown';

describe('unknown variables', () => {
  test('prefixes come from the declarations', () => {
    for (const p of ['TEMPORAL_', 'MONGODB_', 'LLM_', 'IMAGE_', 'RUNWARE_', 'OPENROUTER_', 'GRPC_', 'MAX_']) {
      expect(WATCHED_PREFIXES).toContain(p);
    }
  });

  test('a misspelling is named with the closest known variable; foreign and declared names are not', () => {
    const env = {
      MONGODB_URL: 'mongodb://x',
      TEMPORAL_ADRESS: 'x:1',
      OPENROUTER_APIKEY: 'sk-secret',
      MAX_CONCURENT_LLM_REQUESTS: '3',
      LLM_TOTALLY_DIFFERENT_THING_XYZ: '1',
      MONGODB_URI: 'mongodb://ok',
      PATH: '/bin',
      HOME: '/root',
      POST_SERVICE_SERVICE_HOST: '10.0.0.1',
      TEMPORAL_PORT_7233_TCP_ADDR: '10.0.0.2',
    };
    expect(unknownVariables(env)).toEqual([
      { name: 'LLM_TOTALLY_DIFFERENT_THING_XYZ', suggestion: undefined },
      { name: 'MAX_CONCURENT_LLM_REQUESTS', suggestion: 'MAX_CONCURRENT_LLM_REQUESTS' },
      { name: 'MONGODB_URL', suggestion: 'MONGODB_URI' },
      { name: 'OPENROUTER_APIKEY', suggestion: 'OPENROUTER_API_KEY' },
      { name: 'TEMPORAL_ADRESS', suggestion: 'TEMPORAL_ADDRESS' },
    ]);
    const text = unknownVariableWarnings(env).join('\n');
    expect(text).toContain('MONGODB_URL is not a known variable and is ignored (did you mean MONGODB_URI?)');
    expect(text).not.toContain('sk-secret');
  });

  test('edit distance', () => {
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('', 'abc')).toBe(3);
    expect(editDistance('same', 'same')).toBe(0);
  });
});
