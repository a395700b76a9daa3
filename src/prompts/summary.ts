import type { CharacterConcept, PostConcept } from '../schemas/llm';
import { joinList } from './render';

// Running summaries carried along the self-chaining batch workflows. They are always extended, never replaced
// (fix of spec 15.27), and capped so the prompt stays bounded.

export const DEFAULT_SUMMARY_MAX_CHARS = 6000;

function oneLine(value: unknown): string {
  return typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '';
}

/** One line per character: "concept_short — role; traits". */
export function summarizeCharacters(concepts: readonly CharacterConcept[]): string {
  return concepts
    .map((c) => {
      const traits = oneLine(joinList(c.personality_traits) ?? '');
      const role = oneLine(c.role_in_world);
      let line = oneLine(c.concept_short) || oneLine(c.concept);
      if (role !== '') line += ` — ${role}`;
      if (traits !== '') line += `; ${traits}`;
      return line;
    })
    .filter((line) => line !== '')
    .join('\n');
}

/** One line per post: "topic — kind, tone: brief". */
export function summarizePosts(concepts: readonly PostConcept[]): string {
  return concepts
    .map((p) => {
      const kind = [oneLine(p.post_type), oneLine(p.emotional_tone)].filter((s) => s !== '').join(', ');
      const brief = oneLine(p.content_brief);
      let line = oneLine(p.topic);
      if (kind !== '') line += ` — ${kind}`;
      if (brief !== '') line += `: ${brief}`;
      return line;
    })
    .filter((line) => line !== '')
    .join('\n');
}

/**
 * Appends `addition` to `previous`. When the result exceeds `maxChars`, the oldest lines of `previous` are dropped;
 * the addition itself is always kept whole, even if it alone is longer than `maxChars`.
 */
export function extendSummary(previous: string, addition: string, maxChars = DEFAULT_SUMMARY_MAX_CHARS): string {
  const added = addition.trim();
  const prior = previous.trim();
  if (added === '') return prior.length <= maxChars ? prior : keepTail(prior.split('\n'), maxChars);
  if (prior === '') return added;
  const combined = `${prior}\n${added}`;
  if (combined.length <= maxChars) return combined;
  const budget = maxChars - added.length - 1; // room for earlier lines plus the joining newline
  if (budget <= 0) return added;
  const kept = keepTail(prior.split('\n'), budget);
  return kept === '' ? added : `${kept}\n${added}`;
}

/** The longest suffix of whole lines whose joined length is at most `budget`. */
function keepTail(lines: readonly string[], budget: number): string {
  const kept: string[] = [];
  let length = 0;
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    const next = length + line.length + (kept.length > 0 ? 1 : 0);
    if (next > budget) break;
    kept.unshift(line);
    length = next;
  }
  return kept.join('\n');
}
