/**
 * The declaration vocabulary of the configuration: a variable ({@link envVar}), a family of variables with one
 * member per step or kind ({@link envFamily}), and a section of the typed config ({@link defineSection}).
 *
 * Each variable is declared exactly once — name, schema, default, meaning, secret or not — and everything else
 * (the typed `Config`, the validation messages, describeConfig's redaction, the README table, `.env.example`, the
 * unknown-variable warnings) is computed from the declarations. See src/config/README.md.
 *
 * @module
 */
import type * as v from 'valibot';

/** A schema applied to a variable's trimmed, non-empty string value. */
export type ValueSchema<T> = v.GenericSchema<string, T>;

interface CommonSpec<T> {
  /** The environment variable's name. */
  readonly name: string;
  /** Validates and converts the trimmed string. Messages may echo the value unless the variable is secret. */
  readonly schema: ValueSchema<T>;
  /** What the variable means and why its default is what it is (README table, `.env.example`). */
  readonly doc: string;
  /** What a valid value looks like (error messages, README table). */
  readonly expected: string;
  /** Never echoed: errors scrub it, describeConfig shows 'set' / 'missing', `.env.example` leaves it empty. */
  readonly secret?: boolean;
  /** For values that are not secret but may contain one (a URI with a password): how to show them. */
  readonly redact?: (value: string) => string;
  /** The default as documentation shows it, when the default is derived rather than a literal string. */
  readonly defaultText?: string;
  /** A value `.env.example` shows (commented out) when there is no literal default. */
  readonly example?: string;
}

/** With a literal default: the string a user would have written; it passes through the same schema. */
export type WithDefault<T> = CommonSpec<T> & { readonly default: string; readonly required?: false };
/** Required: the loader reports "is missing or empty" when unset. */
export type Required<T> = CommonSpec<T> & { readonly required: true; readonly default?: undefined };
/** Optional without default: the value is `undefined` when unset. */
export type Optional<T> = CommonSpec<T> & { readonly required?: false; readonly default?: undefined };

/** One declared environment variable whose parsed value has type `T`. */
export interface EnvVar<T> {
  readonly kind: 'var';
  readonly name: string;
  readonly schema: ValueSchema<unknown>;
  readonly doc: string;
  readonly expected: string;
  readonly secret: boolean;
  readonly redact: ((value: string) => string) | undefined;
  readonly default: string | undefined;
  readonly defaultText: string | undefined;
  readonly example: string | undefined;
  readonly required: boolean;
  /** Phantom: carries the parsed type. */
  readonly __type?: T;
}

export function envVar<T>(spec: WithDefault<T>): EnvVar<T>;
export function envVar<T>(spec: Required<T>): EnvVar<T>;
export function envVar<T>(spec: Optional<T>): EnvVar<T | undefined>;
export function envVar<T>(spec: WithDefault<T> | Required<T> | Optional<T>): EnvVar<T> | EnvVar<T | undefined> {
  if (!/^[A-Z][A-Z0-9_]*$/.test(spec.name)) throw new Error(`config: ${spec.name} is not an UPPER_SNAKE name`);
  return Object.freeze({
    kind: 'var' as const,
    name: spec.name,
    schema: spec.schema as ValueSchema<unknown>,
    doc: spec.doc,
    expected: spec.expected,
    secret: spec.secret ?? false,
    redact: spec.redact,
    default: spec.default,
    defaultText: spec.defaultText,
    example: spec.example,
    required: spec.required ?? false,
  });
}

/** Variables with one member per key (`LLM_MODEL_<STEP>`); the parsed value is a record by key. */
export interface EnvFamily<K extends string, T> {
  readonly kind: 'family';
  /** How documentation names the family, e.g. `LLM_MODEL_<STEP>`. */
  readonly pattern: string;
  readonly doc: string;
  readonly members: Readonly<Record<K, EnvVar<T>>>;
}

export function envFamily<const K extends string, T>(spec: {
  readonly keys: readonly K[];
  readonly pattern: string;
  readonly name: (key: K) => string;
  readonly schema: ValueSchema<T>;
  readonly doc: string;
  readonly expected: string;
  readonly default: (key: K) => string;
}): EnvFamily<K, T>;
export function envFamily<const K extends string, T>(spec: {
  readonly keys: readonly K[];
  readonly pattern: string;
  readonly name: (key: K) => string;
  readonly schema: ValueSchema<T>;
  readonly doc: string;
  readonly expected: string;
  readonly defaultText?: string;
}): EnvFamily<K, T | undefined>;
export function envFamily<K extends string, T>(spec: {
  readonly keys: readonly K[];
  readonly pattern: string;
  readonly name: (key: K) => string;
  readonly schema: ValueSchema<T>;
  readonly doc: string;
  readonly expected: string;
  readonly default?: (key: K) => string;
  readonly defaultText?: string;
}): EnvFamily<K, T> | EnvFamily<K, T | undefined> {
  const members = Object.fromEntries(
    spec.keys.map((k) => [
      k,
      spec.default
        ? envVar({ name: spec.name(k), schema: spec.schema, doc: spec.doc, expected: spec.expected, default: spec.default(k) })
        : envVar({ name: spec.name(k), schema: spec.schema, doc: spec.doc, expected: spec.expected, defaultText: spec.defaultText }),
    ]),
  ) as Record<K, EnvVar<T>>;
  return Object.freeze({ kind: 'family' as const, pattern: spec.pattern, doc: spec.doc, members: Object.freeze(members) });
}

export type Declaration = EnvVar<unknown> | EnvFamily<string, unknown>;
export type Declarations = Readonly<Record<string, Declaration>>;

/** The parsed values of a section's declarations, by the keys they were declared under. */
export type Values<D extends Declarations> = {
  [P in keyof D]: D[P] extends EnvVar<infer T> ? T : D[P] extends EnvFamily<infer K, infer T> ? Record<K, T> : never;
};

/** Reads another section's parsed variable (for derived defaults such as the pool size from the DB slots). */
export type Lookup = <T>(variable: EnvVar<T>) => T;

/** The trimmed environment, empty values removed: for `derive` of variables passed through to a library. */
export type RawEnv = Readonly<Record<string, string>>;

/** Thrown by `derive` when the parsed values cannot be combined (a profile file that does not parse, …). */
export class DeriveProblem extends Error {
  constructor(
    readonly variable: EnvVar<unknown>,
    readonly problem: string,
  ) {
    super(`${variable.name}: ${problem}`);
  }
}

/** A problem a cross-variable check found: the variable to blame and what is wrong (no secret values). */
export interface CheckProblem {
  readonly variable: EnvVar<unknown>;
  readonly problem: string;
}

/** One part of the typed config, `config[key]` (or merged into the root when `key` is `''`). */
export interface Section<K extends string, D extends Declarations, O> {
  readonly key: K;
  /** Heading in the README table and `.env.example`. */
  readonly title: string;
  readonly vars: D;
  /** Builds the section's value from its parsed variables; secret variables must keep their declared key. */
  // Method syntax on purpose: a concrete section must be assignable to AnySection (bivariant parameters).
  derive(values: Values<D>, lookup: Lookup, raw: RawEnv): O;
  /** Cross-variable checks, run once every variable parsed. */
  check(values: Values<D>, lookup: Lookup): CheckProblem[];
  /**
   * Prefixes of variables that belong to this section without a declaration of their own (passed through
   * to a library), so they are not reported as unknown: e.g. `TEMPORAL_GRPC_META_`.
   */
  readonly passThroughPrefixes: readonly string[];
  /** Extra redaction for describeConfig beyond the `secret` / `redact` flags (values nested in the output). */
  describe(output: O): unknown;
}

export type AnySection = Section<string, Declarations, unknown>;

interface SectionSpec<K extends string, D extends Declarations> {
  readonly key: K;
  readonly title: string;
  readonly vars: D;
  readonly check?: (values: Values<D>, lookup: Lookup) => CheckProblem[];
  readonly passThroughPrefixes?: readonly string[];
}

export function defineSection<const K extends string, const D extends Declarations, O>(
  spec: SectionSpec<K, D> & {
    readonly derive: (values: Values<D>, lookup: Lookup, raw: RawEnv) => O;
    readonly describe?: (output: O) => unknown;
  },
): Section<K, D, O>;
export function defineSection<const K extends string, const D extends Declarations>(
  spec: SectionSpec<K, D>,
): Section<K, D, Values<D>>;
export function defineSection<K extends string, D extends Declarations, O>(
  spec: SectionSpec<K, D> & {
    readonly derive?: (values: Values<D>, lookup: Lookup, raw: RawEnv) => O;
    readonly describe?: (output: O) => unknown;
  },
): Section<K, D, O | Values<D>> {
  return Object.freeze({
    key: spec.key,
    title: spec.title,
    vars: spec.vars,
    derive: spec.derive ?? ((values: Values<D>) => values),
    check: spec.check ?? (() => []),
    passThroughPrefixes: spec.passThroughPrefixes ?? [],
    describe: (spec.describe ?? ((output: unknown) => output)) as (output: O | Values<D>) => unknown,
  });
}

/** Every variable a declaration stands for (a family stands for its members). */
export function variablesOf(d: Declaration): EnvVar<unknown>[] {
  return d.kind === 'var' ? [d] : Object.values(d.members);
}
