import * as v from 'valibot';

// Input of the root workflow `InitWorldCreationWorkflow`, sent by world-service (Go, JSON). Unknown keys are
// tolerated so world-service can add fields without breaking the worker. Pure: used inside workflow code.

export const CHARACTERS_MIN = 1;
export const CHARACTERS_MAX = 40;
export const POSTS_MIN = 1;
export const POSTS_MAX = 250;
export const WORLD_PROMPT_MAX = 4000;

const countBetween = (min: number, max: number) => {
  const message = `expected an integer between ${min} and ${max}`;
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
};

const positiveLimit = () => {
  const message = 'expected a positive integer, null or nothing';
  return v.nullish(v.pipe(v.number(message), v.integer(message), v.minValue(1, message)));
};

export const WORLD_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

export const InitWorldInputSchema = v.looseObject({
  // world-service sends a UUID. The id becomes the prefix of every task and child workflow id
  // (`<world_id>:<step>`), so it must not contain the ':' separator or other punctuation.
  world_id: v.pipe(
    v.string('expected a non-empty string'),
    v.regex(WORLD_ID_PATTERN, 'expected an id of 1–128 letters, digits, "-" or "_" (world-service sends a UUID)'),
  ),
  world_name: v.optional(v.string('expected a string'), ''),
  world_prompt: v.pipe(
    v.string('expected a non-empty string'),
    v.trim(),
    v.nonEmpty('expected a non-empty text'),
    v.maxLength(WORLD_PROMPT_MAX, `expected at most ${WORLD_PROMPT_MAX} characters`),
  ),
  characters_count: countBetween(CHARACTERS_MIN, CHARACTERS_MAX),
  posts_count: countBetween(POSTS_MIN, POSTS_MAX),
  api_call_limits_llm: positiveLimit(),
  api_call_limits_images: positiveLimit(),
});

export type InitWorldInputRaw = v.InferInput<typeof InitWorldInputSchema>;
/** Validated input; `world_prompt` is trimmed, `world_name` defaults to "". */
export type InitWorldInput = v.InferOutput<typeof InitWorldInputSchema>;

export type ParseInitWorldInputResult =
  | { ok: true; value: InitWorldInput }
  | {
      ok: false;
      /** One entry per bad field, e.g. "characters_count: expected an integer between 1 and 40, got 0". */
      problems: string[];
      /** The world id, if `world_id` itself was a readable non-empty string. */
      worldId: string | null;
    };

function describeValue(value: unknown): string {
  if (value === undefined) return 'nothing (missing)';
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `${JSON.stringify(shown)}${value.length > 40 ? ` (${value.length} characters)` : ''}`;
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
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
    const missing = issue.type === 'loose_object' && issue.path?.at(-1)?.origin === 'key';
    problems.push(missing ? `${path}: is required but missing` : `${path}: ${issue.message}, got ${describeValue(issue.input)}`);
  }
  const id = (raw as Record<string, unknown>)['world_id'];
  const worldId = typeof id === 'string' && WORLD_ID_PATTERN.test(id) ? id : null;
  return { ok: false, problems, worldId };
}
