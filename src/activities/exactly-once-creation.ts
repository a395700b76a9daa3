/**
 * Creating something exactly once in a service that ignores idempotency keys (character- and post-service).
 *
 * The record in `side_effects` (see `openCreation`) carries the creation across attempts:
 *  1. The exact request is fixed before the first send, so every attempt sends the same thing.
 *  2. Each attempt claims the record; an older attempt that wakes up after a newer one started (a zombie: Temporal
 *     gave up on it, its process did not) finds itself superseded and sends nothing.
 *  3. `sent_at` is set just before the call. If an attempt finds it set, an earlier call may have committed: the
 *     caller's `reconcile` looks for the result with the service's own read RPCs *before* anything is sent again,
 *     and adopts what it finds. It does so only once the earlier call must be over: the service received our
 *     deadline (`grpc-timeout`), so its handler has stopped by `sent_at + deadline`; a margin covers clocks and
 *     a commit already under way.
 *  4. A failure that provably had no effect (the connection never opened, or the service itself answered with an
 *     error — see clients/grpc-failure.ts) clears `sent_at` and is retried normally. Any other failure is
 *     ambiguous: `onAmbiguous` decides (posts: retry, the next attempt reconciles; characters: no read-back exists,
 *     so give up without creating again).
 *
 * Reconciling in the next attempt rather than at once is deliberate: right after a deadline or a reset the
 * server may still be committing, and a read made then could miss the row and let the retry create a second one.
 */
import { ApplicationFailure } from '@temporalio/common';
import { classifyCallFailure } from '../clients/grpc-failure';
import type { CreationRecord, SideEffectRepository } from '../repositories';

/** Added to the gRPC deadline before an earlier call is taken to be over (clock skew, a commit in progress). */
export const SETTLE_MARGIN_MS = 2_000;

export type Reconciled<R> = { found: R } | 'absent';

export interface CreationSpec<R extends Record<string, unknown>> {
  key: string;
  /** Orders this attempt among all attempts of the creation (later = larger); see service-activities.ts. */
  attempt: number;
  /** The gRPC deadline of one call (GRPC_DEADLINE_MS). */
  deadlineMs: number;
  /** Added to the record's `match_keys` when sending (what `reconcile` will look for). */
  matchKey?: string;
  /** Looks for what an earlier send may have created. Throws when it cannot decide. */
  reconcile(record: CreationRecord): Promise<Reconciled<R>>;
  /** Sends the creation call; returns the result to store. */
  send(): Promise<R>;
  /** Called with an ambiguous failure of `send`; returns (or throws) the error this attempt fails with. */
  onAmbiguous(err: unknown, record: CreationRecord): Promise<unknown>;
  /** A record already marked ambiguous (by an earlier attempt): returns (or throws) the error to fail with. */
  onKnownAmbiguous(record: CreationRecord): Promise<unknown>;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function superseded(key: string, attempt: number): ApplicationFailure {
  // Retryable on purpose: if this really is a zombie, Temporal has moved on and ignores it; if the claim was lost
  // to a concurrent duplicate, the next attempt finds the result.
  return ApplicationFailure.create({ message: `${key}: this attempt (${attempt}) was superseded by a later one; nothing sent`, type: 'CreationSuperseded', nonRetryable: false });
}

/** Runs the protocol of the module comment; returns the stored result of the one creation. */
export async function createExactlyOnce<R extends Record<string, unknown>>(
  sideEffects: SideEffectRepository,
  record: CreationRecord,
  spec: CreationSpec<R>,
): Promise<R> {
  const sleep = spec.sleep ?? defaultSleep;
  const now = spec.now ?? Date.now;
  const settled = async (r: CreationRecord): Promise<R> => {
    if (r.state === 'done') return r.result as R;
    throw await spec.onKnownAmbiguous(r);
  };
  if (record.state !== 'pending') return settled(record);

  const claimed = await sideEffects.claimCreation(spec.key, spec.attempt);
  if (!claimed) {
    const current = await sideEffects.getCreation(spec.key);
    if (current && current.state !== 'pending') return settled(current);
    throw superseded(spec.key, spec.attempt);
  }

  if (claimed.sent_at) {
    const wait = claimed.sent_at.getTime() + spec.deadlineMs + SETTLE_MARGIN_MS - now();
    if (wait > 0) await sleep(wait);
    const found = await spec.reconcile(claimed);
    if (found !== 'absent') return settled(await sideEffects.completeCreation(spec.key, found.found));
  }

  if (!(await sideEffects.markSent(spec.key, spec.attempt, spec.matchKey))) {
    const current = await sideEffects.getCreation(spec.key);
    if (current && current.state !== 'pending') return settled(current);
    throw superseded(spec.key, spec.attempt);
  }
  let result: R;
  try {
    result = await spec.send();
  } catch (err) {
    if (classifyCallFailure(err) !== 'ambiguous') {
      await sideEffects.markUnsent(spec.key, spec.attempt);
      throw err;
    }
    throw await spec.onAmbiguous(err, claimed);
  }
  return settled(await sideEffects.completeCreation(spec.key, result));
}
