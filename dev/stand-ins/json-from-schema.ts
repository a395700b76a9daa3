/**
 * Deterministic JSON-from-JSON-Schema generator for the OpenRouter stand-in. Output is valid
 * against the (strict-subset) schema it is given and depends only on (schema, seed, options):
 * the same prompt gives the same answer, different paths/indices/seeds give different readable
 * strings. Supported: object (properties/required/additionalProperties), array
 * (items/minItems/maxItems), string (enum/minLength/maxLength/a few formats), integer/number
 * (minimum/maximum/exclusive*), boolean, null, const, enum, anyOf/oneOf (first non-null branch),
 * allOf, type arrays, $ref into $defs/definitions.
 */

export type JsonSchema = Record<string, unknown>;

export interface JsonFromSchemaOptions {
  /** Length of the first array found at depth 1 (the "top-level array property"). */
  topLevelArrayLength?: number;
  /** Default array length when the schema does not force one. @default 3 */
  defaultArrayLength?: number;
}

/** 32-bit FNV-1a. */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

const WORDS = [
  'amber', 'brook', 'cinder', 'dawn', 'ember', 'fable', 'grove', 'harbor', 'iris', 'juniper',
  'kestrel', 'lumen', 'meadow', 'nimbus', 'orchid', 'pebble', 'quill', 'raven', 'sable', 'thistle',
  'umber', 'velvet', 'willow', 'yarrow', 'zephyr', 'aurora', 'basalt', 'cobalt', 'drift', 'echo',
  'fern', 'glimmer', 'hollow', 'ivory', 'jasper', 'kelp', 'lantern', 'marble', 'nova', 'opal',
];

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

interface Ctx {
  root: JsonSchema;
  seed: string;
  opts: JsonFromSchemaOptions;
  topLevelArrayUsed: boolean;
}

/** Picks a readable word sequence for a path. */
function words(ctx: Ctx, path: string, count: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(WORDS[hashString(`${ctx.seed}|${path}|${i}`) % WORDS.length]!);
  return out;
}

function resolveRef(ctx: Ctx, ref: string): JsonSchema {
  const m = /^#\/(\$defs|definitions)\/(.+)$/.exec(ref);
  if (!m) throw new Error(`unsupported $ref ${ref}`);
  const defs = ctx.root[m[1]!] as Record<string, JsonSchema> | undefined;
  const target = defs?.[decodeURIComponent(m[2]!).replace(/~1/g, '/').replace(/~0/g, '~')];
  if (!target) throw new Error(`unresolved $ref ${ref}`);
  return target;
}

function isNullSchema(s: JsonSchema): boolean {
  return s.type === 'null' || (Array.isArray(s.type) && s.type.length === 1 && s.type[0] === 'null');
}

function lastKey(path: string): string {
  const parts = path.split('.');
  for (let i = parts.length - 1; i >= 0; i--) if (!/^\d+$/.test(parts[i]!)) return parts[i]!;
  return '';
}

function lastIndex(path: string): number | undefined {
  const m = /\.(\d+)(?:\.[^.]*)?$/.exec(path);
  return m ? Number(m[1]) : undefined;
}

function genString(ctx: Ctx, s: JsonSchema, path: string): string {
  const h = hashString(`${ctx.seed}|${path}`);
  switch (s.format) {
    case 'uuid': {
      const hex = [0, 1, 2, 3].map((i) => hashString(`${ctx.seed}|${path}|u${i}`).toString(16).padStart(8, '0')).join('');
      return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
    }
    case 'date-time':
      return new Date(Date.UTC(2026, 0, 1) + (h % 365) * 86_400_000).toISOString();
    case 'date':
      return new Date(Date.UTC(2026, 0, 1) + (h % 365) * 86_400_000).toISOString().slice(0, 10);
    case 'email':
      return `${words(ctx, path, 1)[0]}${h % 1000}@example.com`;
    case 'uri':
    case 'url':
      return `https://example.com/${words(ctx, path, 2).join('-')}`;
  }
  const key = lastKey(path).toLowerCase();
  const idx = lastIndex(path);
  const suffix = idx === undefined ? '' : ` ${idx + 1}`;
  let text: string;
  if (/name|title|username|handle/.test(key)) {
    text = words(ctx, path, 2).map(cap).join(' ') + suffix;
    if (/username|handle/.test(key)) text = text.toLowerCase().replace(/\s+/g, '_');
  } else {
    const w = words(ctx, path, 6);
    text = `${cap(w[0]!)} ${w.slice(1).join(' ')} (${key || 'item'}${suffix}).`;
  }
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : Infinity;
  let extra = 0;
  while ([...text].length < min) text += ` ${words(ctx, `${path}#pad${extra++}`, 1)[0]}`;
  if ([...text].length > max) text = [...text].slice(0, max).join('');
  return text;
}

function genNumber(ctx: Ctx, s: JsonSchema, path: string, integer: boolean): number {
  const h = hashString(`${ctx.seed}|${path}`);
  let min = typeof s.minimum === 'number' ? s.minimum : -Infinity;
  let max = typeof s.maximum === 'number' ? s.maximum : Infinity;
  if (typeof s.exclusiveMinimum === 'number') min = Math.max(min, s.exclusiveMinimum + (integer ? 1 : 0.01));
  if (typeof s.exclusiveMaximum === 'number') max = Math.min(max, s.exclusiveMaximum - (integer ? 1 : 0.01));
  if (integer) {
    min = Math.ceil(min);
    max = Math.floor(max);
  }
  const key = lastKey(path).toLowerCase();
  // Counts (posts_count, characters_count…) stay small and positive.
  if (/count|number_of|num_/.test(key)) {
    min = Math.max(min, 1);
    max = Math.min(max, Math.max(min, 5));
  }
  const lo = Number.isFinite(min) ? min : Number.isFinite(max) ? Math.min(0, max) - 100 : 0;
  const hi = Number.isFinite(max) ? max : lo + 100;
  if (integer) return lo + (h % (hi - lo + 1));
  return Math.round((lo + ((h % 10_000) / 10_000) * (hi - lo)) * 100) / 100;
}

function gen(ctx: Ctx, s: JsonSchema, path: string, depth: number): unknown {
  if (typeof s.$ref === 'string') return gen(ctx, resolveRef(ctx, s.$ref), path, depth);
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[hashString(`${ctx.seed}|${path}`) % s.enum.length];
  const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
  if (Array.isArray(union) && union.length > 0) {
    const branch = union.find((b) => !isNullSchema(b)) ?? union[0]!;
    return gen(ctx, branch, path, depth);
  }
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const merged: JsonSchema = { ...s };
    delete merged.allOf;
    for (const part of s.allOf as JsonSchema[]) {
      const p = typeof part.$ref === 'string' ? resolveRef(ctx, part.$ref) : part;
      Object.assign(merged, p, {
        properties: { ...(merged.properties as object), ...(p.properties as object) },
        required: [...((merged.required as string[]) ?? []), ...((p.required as string[]) ?? [])],
      });
    }
    return gen(ctx, merged, path, depth);
  }
  let type = s.type;
  if (Array.isArray(type)) type = type.find((t) => t !== 'null') ?? 'null';
  if (type === undefined) type = s.properties ? 'object' : s.items ? 'array' : 'string';

  switch (type) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = (s.properties ?? {}) as Record<string, JsonSchema>;
      for (const [key, sub] of Object.entries(props)) {
        out[key] = gen(ctx, sub, path ? `${path}.${key}` : key, depth + 1);
      }
      return out;
    }
    case 'array': {
      const minItems = typeof s.minItems === 'number' ? s.minItems : 0;
      const maxItems = typeof s.maxItems === 'number' ? s.maxItems : Infinity;
      let len = Math.max(minItems, Math.min(maxItems, ctx.opts.defaultArrayLength ?? 3));
      if (depth === 1 && !ctx.topLevelArrayUsed) {
        ctx.topLevelArrayUsed = true;
        if (ctx.opts.topLevelArrayLength !== undefined) len = ctx.opts.topLevelArrayLength;
      }
      const items = (Array.isArray(s.items) ? s.items[0] : s.items) as JsonSchema | undefined;
      const out: unknown[] = [];
      for (let i = 0; i < len; i++) out.push(items ? gen(ctx, items, `${path}.${i}`, depth + 1) : i);
      return out;
    }
    case 'string':
      return genString(ctx, s, path);
    case 'integer':
      return genNumber(ctx, s, path, true);
    case 'number':
      return genNumber(ctx, s, path, false);
    case 'boolean':
      return hashString(`${ctx.seed}|${path}`) % 2 === 0;
    case 'null':
      return null;
    default:
      throw new Error(`unsupported schema type ${String(type)} at ${path || '<root>'}`);
  }
}

/**
 * A JSON value valid against `schema`, deterministic for `seed`. `topLevelArrayLength` sets the
 * length of the first array property of the root object (not clamped: callers clamp).
 */
export function jsonFromSchema(schema: JsonSchema, seed: string | number, opts: JsonFromSchemaOptions = {}): unknown {
  const ctx: Ctx = { root: schema, seed: String(seed), opts, topLevelArrayUsed: false };
  return gen(ctx, schema, '', 0);
}

/** Bounds of the first array property (depth 1) of an object schema, if any. */
export function topLevelArrayBounds(schema: JsonSchema): { key: string; minItems: number; maxItems: number } | undefined {
  const root = schema;
  const deref = (s: JsonSchema): JsonSchema =>
    typeof s.$ref === 'string' ? resolveRef({ root, seed: '', opts: {}, topLevelArrayUsed: false }, s.$ref) : s;
  const props = (deref(schema).properties ?? {}) as Record<string, JsonSchema>;
  for (const [key, raw] of Object.entries(props)) {
    let s = deref(raw);
    const union = (s.anyOf ?? s.oneOf) as JsonSchema[] | undefined;
    if (Array.isArray(union)) s = deref(union.find((b) => !isNullSchema(b)) ?? s);
    const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
    if (t === 'array' || (t === undefined && s.items)) {
      return {
        key,
        minItems: typeof s.minItems === 'number' ? s.minItems : 0,
        maxItems: typeof s.maxItems === 'number' ? s.maxItems : Infinity,
      };
    }
  }
  return undefined;
}
