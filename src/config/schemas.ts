/**
 * Reusable value schemas for variable declarations. Each takes the trimmed, non-empty string and converts it;
 * messages echo the value (the loader scrubs them for secret variables) so an operator sees what was read.
 */
import * as v from 'valibot';

import { redactUri } from './redact';

export const show = (input: unknown): string => JSON.stringify(input);

export const text = () => v.string();

export const integer = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^[+-]?\d+$/, (i) => `${show(i.input)} is not an integer`),
    v.transform(Number),
    v.number(),
    v.minValue(min, (i) => `${show(i.input)} is below the minimum ${min}`),
    v.maxValue(max, (i) => `${show(i.input)} is above the maximum ${max}`),
  );

export const number = (min: number, max: number, exclusiveMin = false) =>
  v.pipe(
    v.string(),
    v.regex(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i, (i) => `${show(i.input)} is not a number`),
    v.transform(Number),
    v.number(),
    v.check(
      (n) => (exclusiveMin ? n > min : n >= min),
      (i) => `${show(i.input)} is ${exclusiveMin ? 'not above' : 'below'} the minimum ${min}`,
    ),
    v.maxValue(max, (i) => `${show(i.input)} is above the maximum ${max}`),
  );

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
export const BOOLEAN_EXPECTED = 'true|false (also 1|0|yes|no|on|off)';
export const boolean = () =>
  v.pipe(
    v.string(),
    v.transform((s) => s.toLowerCase()),
    v.picklist([...TRUE, ...FALSE], (i) => `${show(i.input)} is not a boolean`),
    v.transform((s) => TRUE.includes(s)),
  );

/** An http(s) URL; trailing slashes are removed so paths can be appended. */
export const httpUrl = () =>
  v.pipe(
    v.string(),
    v.url((i) => `${show(i.input)} is not a URL`),
    v.transform((s) => s.replace(/\/+$/, '')),
  );

export const oneOf = <const T extends readonly string[]>(values: T, normalise: (s: string) => string) =>
  v.pipe(
    v.string(),
    v.transform(normalise),
    v.picklist(values, (i) => `${show(i.input)} is not one of the allowed values`),
  );

/** A comma-separated list of allowed values: trimmed, lower-cased, de-duplicated, not empty. */
export const listOf = <const T extends readonly string[]>(values: T) =>
  v.pipe(
    v.string(),
    v.transform((s) => [...new Set(s.split(',').map((r) => r.trim().toLowerCase()).filter((r) => r !== ''))]),
    v.check((list) => list.length > 0, 'is an empty list'),
    v.check(
      (list) => list.every((r) => (values as readonly string[]).includes(r)),
      (i) => `contains unknown value(s) ${show(i.input.filter((r) => !(values as readonly string[]).includes(r)))}`,
    ),
    v.transform((list) => list as T[number][]),
  );

export const mongoUri = () =>
  v.pipe(
    v.string(),
    // The URI may hold a password: echo it only redacted.
    v.regex(/^mongodb(\+srv)?:\/\/\S+$/, (i) => `${show(redactUri(String(i.input)))} is not a MongoDB URI`),
  );
