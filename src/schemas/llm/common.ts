import * as v from 'valibot';

// Building blocks for LLM output schemas. Every schema built from these must stay convertible to a strict JSON
// Schema: strictObject only, nullable instead of optional, no transforms, no defaults.

/** Matches any string containing at least one non-whitespace character (emitted as JSON Schema `pattern`). */
export const NOT_BLANK = /\S/;

/** A plain string field (may be empty). */
export function text(description: string) {
  return v.pipe(v.string(), v.description(description));
}

/** A string that must contain at least one non-whitespace character. */
export function requiredText(description: string) {
  return v.pipe(v.string(), v.minLength(1), v.regex(NOT_BLANK, 'must not be blank'), v.description(description));
}

/** A non-blank string of at most `max` characters (UTF-16 units in valibot). */
export function boundedText(description: string, max: number) {
  return v.pipe(
    v.string(),
    v.minLength(1),
    v.maxLength(max),
    v.regex(NOT_BLANK, 'must not be blank'),
    v.description(description),
  );
}

/** A string or null. */
export function nullableText(description: string) {
  return v.pipe(v.nullable(v.string()), v.description(description));
}

/** An array of strings. */
export function textList(description: string) {
  return v.pipe(v.array(v.string()), v.description(description));
}
