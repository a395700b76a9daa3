/**
 * What the platform's services can store, and pure, deterministic clean-up of generated text to fit it.
 *
 * From the Go services' schema (scripts/schema.sql) and code:
 *  - `worlds.name` is VARCHAR(100) (characters, not bytes).
 *  - `world_user_characters.display_name` and `posts.caption` are TEXT, `meta` is JSONB: no length limit, but
 *    Postgres refuses the character U+0000 in TEXT and the escape `\u0000` in JSONB, and the Go services answer
 *    INTERNAL on every retry — a character or post that can never be created. So NUL (and the other C0 controls
 *    that no profile or caption needs) are removed.
 *  - Every gRPC message must stay under the Go server's default 4 MiB receive limit; free text is capped far
 *    below it ({@link FREE_TEXT_MAX}).
 * Same input, same output: a retried step sends exactly what the first attempt sent.
 */

/** `worlds.name VARCHAR(100)`. */
export const WORLD_NAME_MAX = 100;
/** Any one free-text value sent to a service (caption, a field of the character's meta). */
export const FREE_TEXT_MAX = 10_000;

// C0 controls except TAB, LF, CR; and DEL. U+0000 is the one Postgres refuses; the others are never wanted.
const CONTROL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
// A UTF-16 surrogate without its partner cannot be encoded as UTF-8 (protobuf-es would send U+FFFD).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** Removes what no service can store (see the module comment). */
export function storableText(text: string): string {
  return text.replace(CONTROL, '').replace(LONE_SURROGATE, '');
}

/** At most `max` characters (code points, as Postgres counts them — never half of a surrogate pair). */
export function clipCodePoints(text: string, max: number): string {
  const points = [...text];
  return points.length <= max ? text : points.slice(0, max).join('');
}

/** One line: storable, whitespace collapsed, trimmed, clipped to `max` characters. */
export function singleLine(text: string, max: number): string {
  return clipCodePoints(storableText(text).replace(/\s+/g, ' ').trim(), max).trim();
}

/** Free text: storable and clipped to {@link FREE_TEXT_MAX} (line breaks kept). */
export function freeText(text: string, max = FREE_TEXT_MAX): string {
  return clipCodePoints(storableText(text), max);
}

/** Every string inside a JSON-like value passed through {@link freeText}; other values unchanged. */
export function storableJson<T>(value: T): T {
  if (typeof value === 'string') return freeText(value) as T;
  if (Array.isArray(value)) return value.map((v) => storableJson(v)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [storableText(k), storableJson(v)])) as T;
  }
  return value;
}

/** The post as post-service can store it: caption and tags cleaned, empty tags dropped. */
export function storablePost(post: { caption: string; tags: readonly string[] }): { caption: string; tags: string[] } {
  return {
    caption: freeText(post.caption),
    tags: post.tags.map((t) => singleLine(t, 100)).filter((t) => t !== ''),
  };
}
