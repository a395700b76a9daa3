/**
 * Drizzle-style collection declarations for MongoDB: one declaration per collection (name, valibot schema, indexes),
 * derived read/write types, the driver's own typed `Collection<Doc>`, and validation on write.
 * @module
 */
import type { Collection, Db, Document, IndexDescription } from 'mongodb';
import * as v from 'valibot';
import { lockedCollection } from './document-locks';
import { RepositoryValidationError } from './errors';

/** A valibot object schema whose documents have a string `_id` (every collection here uses business-key ids). */
export type DocumentSchema = v.ObjectSchema<v.ObjectEntries & { _id: v.GenericSchema<string, string> }, undefined>;

/** One collection: its name, its schema and its indexes. */
export interface CollectionDef<N extends string = string, S extends DocumentSchema = DocumentSchema> {
  readonly name: N;
  readonly schema: S;
  readonly indexes: readonly IndexDescription[];
}

/** Declares a collection. */
export function defineCollection<const N extends string, S extends DocumentSchema>(def: {
  name: N;
  schema: S;
  indexes?: readonly IndexDescription[];
}): CollectionDef<N, S> {
  return Object.freeze({ name: def.name, schema: def.schema, indexes: Object.freeze([...(def.indexes ?? [])]) });
}

/** The document as read (defaults applied). */
export type DocOf<C extends CollectionDef> = v.InferOutput<C['schema']>;
/** The document as written by callers (fields with defaults optional). */
export type NewDocOf<C extends CollectionDef> = v.InferInput<C['schema']>;

/**
 * The driver's typed collection for a declaration; on FerretDB its writes are serialised per document
 * (see document-locks.ts).
 */
export function collectionOf<C extends CollectionDef>(db: Db, def: C): Collection<DocOf<C>> {
  return lockedCollection(db.collection<DocOf<C>>(def.name), db.client);
}

/** Creates every declared index that is missing (idempotent, safe from concurrent processes; see ensure-indexes.ts). */
export { ensureIndexes, IndexConflictError, type EnsureIndexesOptions } from './ensure-indexes';

function toValidationError(collection: string, issues: readonly v.BaseIssue<unknown>[]): RepositoryValidationError {
  return new RepositoryValidationError(
    collection,
    issues.map((i) => ({ field: v.getDotPath(i) ?? '(document)', message: i.message })),
  );
}

/** Validates a whole document before insert; returns it with defaults applied. */
export function validateDoc<C extends CollectionDef>(def: C, doc: NewDocOf<C>): DocOf<C> {
  const r = v.safeParse(def.schema, doc);
  if (!r.success) throw toValidationError(def.name, r.issues);
  return r.output as DocOf<C>;
}

const partialCache = new WeakMap<CollectionDef, v.GenericSchema>();

/**
 * Validates the top-level fields of a `$set` / `$setOnInsert` patch against the collection's schema.
 * Dotted paths are not supported here (none of the repositories need them).
 */
export function validatePatch<C extends CollectionDef>(def: C, patch: Partial<DocOf<C>>): Partial<DocOf<C>> {
  let schema = partialCache.get(def);
  if (!schema) {
    // Strip defaults so a patch never gains fields it did not set.
    const entries = Object.fromEntries(
      Object.entries(def.schema.entries).map(([k, s]) => [k, v.optional(unwrapOptional(s))]),
    );
    schema = v.object(entries);
    partialCache.set(def, schema);
  }
  const r = v.safeParse(schema, patch);
  if (!r.success) throw toValidationError(def.name, r.issues);
  return Object.fromEntries(Object.entries(r.output as Document).filter(([, value]) => value !== undefined)) as Partial<
    DocOf<C>
  >;
}

function unwrapOptional(s: v.GenericSchema): v.GenericSchema {
  return s.type === 'optional' ? (s as unknown as { wrapped: v.GenericSchema }).wrapped : s;
}
