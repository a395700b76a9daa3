/**
 * Errors raised by the repositories. Checked with `is()` (name-based) rather than bare `instanceof`, so they are
 * recognised across module copies (e.g. after Temporal serialises them).
 * @module
 */

/** A document about to be written does not match its collection's schema. Names the collection and field(s). */
export class RepositoryValidationError extends Error {
  override readonly name = 'RepositoryValidationError';
  constructor(
    readonly collection: string,
    readonly issues: readonly { field: string; message: string }[],
  ) {
    super(
      `Invalid document for collection '${collection}': ` +
        issues.map((i) => `${i.field}: ${i.message}`).join('; '),
    );
  }
  static is(e: unknown): e is RepositoryValidationError {
    return e instanceof Error && e.name === 'RepositoryValidationError';
  }
}

/** A document that must exist does not. */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(
    readonly collection: string,
    readonly id: string,
    what = 'document',
  ) {
    super(`${what} '${id}' not found in collection '${collection}'`);
  }
  static is(e: unknown): e is NotFoundError {
    return e instanceof Error && e.name === 'NotFoundError';
  }
}

/** An optimistic-concurrency update kept losing to concurrent writers. */
export class ConcurrencyError extends Error {
  override readonly name = 'ConcurrencyError';
  static is(e: unknown): e is ConcurrencyError {
    return e instanceof Error && e.name === 'ConcurrencyError';
  }
}

/** True for a MongoDB duplicate-key error (code 11000), whatever the driver class. */
export function isDuplicateKeyError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { code?: unknown }).code === 11000;
}

/**
 * For an unordered `insertMany` that failed only on duplicate keys: the indexes (into the inserted array) of the
 * documents refused as duplicates — every other document was inserted. `null` for any other error (another write
 * error, a write-concern error, a network error), after which what was inserted is unknown.
 */
export function duplicateIndexes(e: unknown): number[] | null {
  if (typeof e !== 'object' || e === null) return null;
  const { writeErrors, writeConcernError } = e as { writeErrors?: unknown; writeConcernError?: unknown };
  if (writeConcernError != null || writeErrors == null) return null;
  const list = (Array.isArray(writeErrors) ? writeErrors : [writeErrors]) as { index?: unknown; code?: unknown }[];
  if (list.length === 0 || !list.every((w) => w.code === 11000 && typeof w.index === 'number')) return null;
  return list.map((w) => w.index as number);
}
