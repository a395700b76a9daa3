import { describe, expect, test } from 'bun:test';
import { extendSummary, summarizeCharacters, summarizePosts } from '../../src/prompts';
import { concept, postConcept } from './fixtures';

describe('summaries', () => {
  test('summarizeCharacters: one line per character', () => {
    const second = { ...concept, concept_short: 'Pescador\nde perlas', role_in_world: 'buzo', personality_traits: [] };
    expect(summarizeCharacters([concept, second])).toBe(
      'Reparadora de faros soñadora — farolera independiente; tenaz, irónica\nPescador de perlas — buzo',
    );
    expect(summarizeCharacters([])).toBe('');
  });

  test('summarizePosts: one line per post', () => {
    expect(summarizePosts([postConcept])).toBe(
      'La lente nueva — personal, emocionada: Lucía muestra una lente misteriosa que "encontró".',
    );
  });

  test('extendSummary appends and never overwrites', () => {
    expect(extendSummary('', 'a')).toBe('a');
    expect(extendSummary('a\nb', 'c')).toBe('a\nb\nc');
    expect(extendSummary('a', '')).toBe('a');
    expect(extendSummary('a', '  ')).toBe('a');
  });

  test('extendSummary keeps the most recent lines within the cap, and always the addition', () => {
    const previous = ['line-1', 'line-2', 'line-3', 'line-4'].join('\n');
    expect(extendSummary(previous, 'new', 20)).toBe('line-3\nline-4\nnew');
    expect(extendSummary(previous, 'new', 20).length).toBeLessThanOrEqual(20);
    const longAddition = 'x'.repeat(50);
    expect(extendSummary(previous, longAddition, 20)).toBe(longAddition);
    const result = extendSummary('old\n'.repeat(3000), 'fresh line');
    expect(result.length).toBeLessThanOrEqual(6000);
    expect(result.endsWith('fresh line')).toBe(true);
  });
});
