import * as v from 'valibot';

// Input of the root workflow `InitWorldCreationWorkflow`, sent by world-service (Go, JSON; spec 12):
// `{ world_id, world_name, world_prompt, characters_count, posts_count }`, one argument, nothing else.
// Pure and deterministic: it runs inside workflow code.
//
// What is accepted is decided field by field against what the platform can send:
// - unknown keys are tolerated (world-service may add fields, spec 17) but dropped from the output, so an
//   extra blob never travels on into activity payloads or task storage;
// - counts are world-service's ranges (it defaults ≤ 0 to 25/150 and then checks 1–40 and 1–250), whole
//   numbers only: Go sends `int`, so "3", 2.5 or null never come from the platform;
// - the prompt has no length limit on the platform (api-gateway asks for ≥ 10 characters, world-service for
//   non-empty, the column is TEXT), so the only ceiling is what the world-description model can read.

export const CHARACTERS_MIN = 1;
export const CHARACTERS_MAX = 40;
export const POSTS_MIN = 1;
export const POSTS_MAX = 250;

/**
 * Ceiling on the prompt, in UTF-8 bytes. Only the world-description call reads the prompt, and a token
 * never covers less than one byte (byte-level tokenizers), so bytes bound tokens from above. The default
 * model (google/gemini-2.5-flash) reads 1,048,576 tokens; with 4,096 output tokens, a repair round and
 * the prompt template that leaves a little over 1,000,000. A smaller-context model configured for that
 * step is refused by the provider itself (HTTP 400, a non-retryable failure with the provider's reason).
 * It is also well below Temporal's 2 MB payload limit, which bounds what a start can carry at all.
 */
export const WORLD_PROMPT_MAX_BYTES = 1_000_000;

/** world-service sends `worlds.id`: a Postgres UUID in its canonical lower-case text form. */
export const WORLD_ID_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Ids safe to write a rejection under (`world_generation_status._id`): no `:` (the task-id separator),
 * no `.`/`$` (special in MongoDB paths), no control characters, bounded. A non-UUID id that passes this is
 * still rejected, but the rejection is recorded where the starter can read it.
 */
export const WORLD_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

// Control characters: C0 and C1 controls other than TAB, LF and CR carry no meaning for a model and are
// stripped (NUL cannot even come from world-service: Postgres TEXT refuses it; others can). VT, FF and NEL
// separate words, so they become spaces. Unpaired UTF-16 surrogates cannot be encoded as UTF-8 for the
// provider or MongoDB and are stripped too. The text that remains must still contain something visible:
// a prompt of only NULs, spaces or zero-width characters is empty.
const SPACE_LIKE_CONTROLS = /[\v\f\u0085]/g;
const OTHER_CONTROLS = /[\u0000-\u0008\u000e-\u001f\u007f-\u009f]/g;
const LONE_SURROGATES = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const VISIBLE = /[^\p{White_Space}\p{Cc}\p{Cf}]/u;

/** Strips control characters and unpaired surrogates (rule above), then trims. */
export function cleanUserText(text: string): string {
  return text.replace(SPACE_LIKE_CONTROLS, ' ').replace(OTHER_CONTROLS, '').replace(LONE_SURROGATES, '').trim();
}

function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair (the cleaned text has no lone ones)
      i++;
    } else bytes += 3;
  }
  return bytes;
}

const countBetween = (min: number, max: number) => {
  const message = `expected an integer between ${min} and ${max}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
};

/** Largest per-world budget accepted: far above any world this worker can make, small enough to catch a unit mix-up. */
export const BUDGET_USD_MAX = 100_000;

// Optional and unknown to world-service today (it sends no budget): absent or null means the worker's configured
// default. A platform that adds it sends a JSON number of US dollars.
const budgetUsd = () => {
  const message = `expected a number of US dollars above 0 and at most ${BUDGET_USD_MAX}, null or nothing`;
  return v.nullish(v.pipe(v.number(message), v.finite(message), v.gtValue(0, message), v.maxValue(BUDGET_USD_MAX, message)));
};

const positiveLimit = () => {
  const message = 'expected a positive integer, null or nothing';
  return v.nullish(v.pipe(v.number(message), v.safeInteger(message), v.minValue(1, message)));
};

export const InitWorldInputSchema = v.object({
  // The id becomes the prefix of every task and child workflow id (`<world_id>:<step>`).
  world_id: v.pipe(
    v.string('expected a UUID string'),
    v.regex(WORLD_ID_UUID, 'expected a lower-case UUID like "7d0c1a52-5b3e-4f7e-9a41-3c2b1d0e9f88" (world-service sends worlds.id)'),
  ),
  // Optional: the name is replaced by the generated one when it is empty or the frontend's placeholder.
  world_name: v.pipe(
    v.nullish(v.string('expected a string'), ''),
    v.transform((name) => cleanUserText(name ?? '')),
  ),
  world_prompt: v.pipe(
    v.string('expected a non-empty string'),
    v.transform(cleanUserText),
    v.check((text) => VISIBLE.test(text), 'expected some visible text (control characters and spaces are removed first)'),
    v.check(
      (text) => utf8Length(text) <= WORLD_PROMPT_MAX_BYTES,
      `expected at most ${WORLD_PROMPT_MAX_BYTES} bytes of UTF-8 text, the most the world-description model's context can hold`,
    ),
  ),
  characters_count: countBetween(CHARACTERS_MIN, CHARACTERS_MAX),
  posts_count: countBetween(POSTS_MIN, POSTS_MAX),
  api_call_limits_llm: positiveLimit(),
  api_call_limits_images: positiveLimit(),
  budget_usd: budgetUsd(),
});

export type InitWorldInputRaw = v.InferInput<typeof InitWorldInputSchema>;
/** Validated input: texts cleaned (see {@link cleanUserText}), `world_name` defaults to "", unknown keys dropped. */
export type InitWorldInput = v.InferOutput<typeof InitWorldInputSchema>;

export type ParseInitWorldInputResult =
  | { ok: true; value: InitWorldInput }
  | {
      ok: false;
      /** One entry per bad field, e.g. "characters_count: expected an integer between 1 and 40, got 0". */
      problems: string[];
      /** The world id, if `world_id` is safe to record the rejection under ({@link WORLD_ID_PATTERN}). */
      worldId: string | null;
    };

const SHOWN_CHARS = 40;

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (typeof value === 'string') {
    const long = value.length > SHOWN_CHARS;
    const shown = JSON.stringify(long ? `${value.slice(0, SHOWN_CHARS)}…` : value);
    return long ? `${shown} (${value.length} characters)` : shown;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

function describeText(text: string): string {
  return `${describeValue(text)}, ${utf8Length(text)} bytes`;
}

/**
 * Validates the root workflow's arguments: exactly one, the world object. world-service sends one; a
 * second argument means the starter is not speaking this contract, so nothing in it is guessed at.
 */
export function parseInitWorldArgs(args: readonly unknown[]): ParseInitWorldInputResult {
  const parsed = parseInitWorldInput(args[0]);
  if (args.length <= 1) return parsed;
  const problem = `input: expected one argument (the world object), got ${args.length}`;
  return parsed.ok
    ? { ok: false, problems: [problem], worldId: safeWorldId(parsed.value.world_id) }
    : { ok: false, problems: [problem, ...parsed.problems], worldId: parsed.worldId };
}

function safeWorldId(id: unknown): string | null {
  return typeof id === 'string' && WORLD_ID_PATTERN.test(id) ? id : null;
}

/** Validates the root workflow input and reports every bad field at once. Pure and deterministic. */
export function parseInitWorldInput(raw: unknown): ParseInitWorldInputResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, problems: [`input: expected a JSON object, got ${describeValue(raw)}`], worldId: null };
  }
  const result = v.safeParse(InitWorldInputSchema, raw);
  if (result.success) return { ok: true, value: result.output };

  const problems: string[] = [];
  const seen = new Set<string>();
  for (const issue of result.issues) {
    const path = v.getDotPath(issue) ?? 'input';
    if (seen.has(path)) continue; // one problem per field: the first issue is the informative one
    seen.add(path);
    const missing = issue.type === 'object' && issue.path?.at(-1)?.origin === 'key';
    // A failed check sees the cleaned text; size is what matters for the ceiling.
    const got = issue.type === 'check' && typeof issue.input === 'string' ? describeText(issue.input) : describeValue(issue.input);
    problems.push(missing ? `${path}: is required but missing` : `${path}: ${issue.message}, got ${got}`);
  }
  return { ok: false, problems, worldId: safeWorldId((raw as Record<string, unknown>)['world_id']) };
}
