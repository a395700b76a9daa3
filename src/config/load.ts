/**
 * Parses the environment against the declarations (src/config/vars) into the deep-frozen, typed {@link Config}.
 * Parsing never stops at the first problem: every bad variable is reported, one per line, never echoing a secret.
 */
import * as v from 'valibot';
import { redactText } from '../domain/redact';

import { DeriveProblem, type EnvVar, type Section } from './define';
import { SECTIONS, VARIABLES } from './registry';
import type * as declared from './vars';

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
type DeepReadonly<T> = T extends readonly (infer U)[]
  ? readonly DeepReadonly<U>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
type Part<S> = S extends Section<infer K, infer _D, infer O> ? (K extends '' ? O : { [P in K]: O }) : never;
type Flat<T> = { [K in keyof T]: T[K] };

/** The validated, nested, deep-frozen worker configuration, inferred from the declarations in src/config/vars. */
export type Config = DeepReadonly<Flat<UnionToIntersection<Part<(typeof declared)[keyof typeof declared]>>>>;

/** One problem found in the environment. `problem` never contains a secret value. */
export interface ConfigProblem {
  variable: string;
  problem: string;
  expected: string;
}

/** Thrown by {@link loadConfig}; the message lists every problem, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.variable}: ${p.problem}; expected ${p.expected}`).join('\n'),
    );
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
  static is(e: unknown): e is ConfigError {
    return e instanceof Error && e.name === 'ConfigError' && Array.isArray((e as ConfigError).problems);
  }
}

/** Trimmed; empty strings count as unset (so `FOO=` in a compose file means "use the default"). */
function rawValue(env: Record<string, string | undefined>, name: string): string | undefined {
  const raw = env[name]?.trim();
  return raw === '' ? undefined : raw;
}

type Parsed = { ok: true; value: unknown } | { ok: false; problem: string };

function parseVariable(variable: EnvVar<unknown>, env: Record<string, string | undefined>): Parsed {
  const raw = rawValue(env, variable.name) ?? variable.default;
  if (raw === undefined) return variable.required ? { ok: false, problem: 'is missing or empty' } : { ok: true, value: undefined };
  const result = v.safeParse(variable.schema, raw, { abortPipeEarly: true });
  if (result.success) return { ok: true, value: result.output };
  // Messages may echo the value: a URL in it loses its user-info and query like everywhere else in errors.
  const message = redactText(result.issues[0].message);
  // A secret's schema may echo its input; never let the value through.
  return { ok: false, problem: variable.secret ? message.split(raw).join('***') : message };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses the environment once into a deep-frozen {@link Config}.
 * @throws ConfigError listing every problem.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  for (const variable of VARIABLES) {
    const result = parseVariable(variable, env);
    if (result.ok) parsed.set(variable.name, result.value);
    else problems.push({ variable: variable.name, problem: result.problem, expected: variable.expected });
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const lookup = <T>(variable: EnvVar<T>): T => parsed.get(variable.name) as T;
  const raw: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    const trimmed = value?.trim();
    if (trimmed) raw[name] = trimmed;
  }
  const config: Record<string, unknown> = {};
  for (const section of SECTIONS) {
    const values: Record<string, unknown> = {};
    for (const [key, d] of Object.entries(section.vars)) {
      values[key] =
        d.kind === 'var'
          ? parsed.get(d.name)
          : Object.fromEntries(Object.entries(d.members).map(([member, variable]) => [member, parsed.get(variable.name)]));
    }
    for (const p of section.check(values as never, lookup)) {
      problems.push({ variable: p.variable.name, problem: p.problem, expected: p.variable.expected });
    }
    let output: unknown;
    try {
      output = section.derive(values as never, lookup, raw);
    } catch (err) {
      if (!(err instanceof DeriveProblem)) throw err;
      problems.push({ variable: err.variable.name, problem: err.problem, expected: err.variable.expected });
      continue;
    }
    if (section.key === '') Object.assign(config, output);
    else config[section.key] = output;
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config) as Config;
}
