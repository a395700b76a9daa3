/**
 * One paid provider request at a fixed *position* (task + step + place in the step's conversation, never the
 * attempt), made so that money and call counts stay exact under retries and crashes:
 *
 *   reservation entry → reserve against the limit (keyed by position + send) → mark `sent` → send → store the paid
 *   answer → apply its cost (keyed by the stored answer) → audit.
 *
 * On a later attempt the position's entries decide what happens: a stored answer is replayed (its cost applied if
 * the earlier attempt died first) and nothing is sent; otherwise `recover` may find an answer the provider produced
 * for a request whose reply was lost (Runware `getResponse`); otherwise the request is sent again — under the last
 * reservation if that one never left (so `api_calls_made_*` counts only requests that left), else under a new one.
 *
 * A request whose connection was refused never arrived: it is marked `refused` and its reservation is reused too.
 *
 * Budgets ride on the same reservation: in a world with a budget, the limit reservation also holds the send's
 * expected cost (`expectedCostUsd`, or the configured image price), the stored answer records that hold (`reserved_usd`), and the
 * answer's cost key settles it to the real cost (spend-records.ts). An LLM send the provider answered with an error
 * status was not billed, so its hold is released (keyed); a send with an unknown outcome (timeout, reset) keeps it.
 *
 * Residual windows (stated, not hidden): a process that dies after the `sent` entry is written but before the request
 * left counts one request that never arrived (the entry is written first on purpose; see onSent); an answer whose HTTP reply is lost can only be recovered
 * where the provider offers a lookup (Runware does, OpenRouter does not — its charge for a lost reply is unknown to
 * us); an attempt racing a zombie attempt of itself may send under the same reservation.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger';
import type { CounterIncrements, PositionState, ProviderCallRef, Repositories } from '../repositories';
import { wasRefused } from '../clients/connection-refused';
import { isProviderHttpError } from '../clients/provider-errors';
import { reserveProviderCall, type BudgetHold } from './call-limits';
import { ledgerFields, withBudgetSettlement } from './spend-records';

/** Delays between tries of a write that must not be lost after the provider was paid. */
const DURABLE_WRITE_DELAYS_MS = [200, 1_000, 3_000];

export interface PaidRequestDeps {
  repos: Pick<Repositories, 'status' | 'providerCalls'>;
  log: Logger;
  /** The image price and model (a render's budget reservation and its ledger entry, when the spec sets neither). */
  config?: { readonly images: { readonly fallbackCostUsd: number; readonly model: string } };
}

export interface SendContext {
  /** Which send at this position this is (part of the reservation key). */
  send: number;
  /**
   * Call as the request leaves (from the HTTP client's before-request hook) and let it leave only when the returned
   * promise settles: the `sent` entry is then durable before the provider can receive anything.
   */
  onSent: () => Promise<void>;
}

export interface PaidRequestSpec<R> {
  ref: ProviderCallRef;
  /** Durable writes that must land before the request leaves (run alongside the limit reservation). */
  prepare?(send: number): Promise<void>;
  /** Makes the paid request. */
  send(ctx: SendContext): Promise<R>;
  /** Looks for an answer the provider made for an earlier send whose reply never reached us. */
  recover?(state: PositionState): Promise<{ send: number; result: R } | null>;
  toRecord(result: R): Record<string, unknown>;
  fromRecord(record: Record<string, unknown>): R;
  costOf(result: R): CounterIncrements;
  /**
   * What one send is expected to cost (USD), for the world's budget; asked only in worlds with a budget, and may
   * throw (a model without a price). Must depend on the request only: a retry reserves under the same key.
   * @default the image price for image requests
   */
  expectedCostUsd?: () => number;
  /** The model asked for, kept with the answer for the cost report. */
  model?: string;
  /** Called once per send that reached the provider or failed (never for replays); failures here are only logged. */
  audit?(outcome: { send: number; durationMs: number; result?: R; error?: unknown }): Promise<void>;
}

export interface PaidRequestResult<R> {
  result: R;
  /** True when the answer came from an earlier attempt (stored or recovered), false when paid now. */
  replayed: boolean;
  send: number;
}

/** The keyed increment that counts the stored answer of one send: one per stored answer, never per attempt. */
export const costKey = (position: string, send: number) => `cost:${position}:s${send}`;

/** The keyed release of a send's budget hold when the provider refused it with an error (and so did not bill it). */
export const releaseKey = (position: string, send: number) => `budget-release:${position}:s${send}`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Retries a write a few times in-process: losing it would cost a second payment or a lost charge. */
export async function durably<T>(what: string, log: Logger, write: () => Promise<T>, delaysMs: readonly number[] = DURABLE_WRITE_DELAYS_MS): Promise<T> {
  for (let i = 0; ; i++) {
    try {
      return await write();
    } catch (err) {
      if (i >= delaysMs.length) throw err;
      log.warn('write after a paid request failed; trying again', { what, try: i + 1, error: err instanceof Error ? err.message : String(err) });
      await sleep(delaysMs[i]!);
    }
  }
}

export async function paidRequest<R>(deps: PaidRequestDeps, spec: PaidRequestSpec<R>): Promise<PaidRequestResult<R>> {
  const { status, providerCalls } = deps.repos;
  const { ref } = spec;
  // Not retried in-process: the answer is stored by then, so a failed increment fails the attempt and the retry
  // replays the answer and applies its cost.
  const applyCost = (send: number, stored: Stored<R>) =>
    status.applyOnce(ref.worldId, costKey(ref.position, send), withBudgetSettlement(spec.costOf(stored.result), stored.record));
  const stored = (record: Record<string, unknown>): Stored<R> => ({ record, result: spec.fromRecord(record) });
  // Every send of a position holds the same amount (the expectation depends on the request only), so the hold of
  // this attempt's first reservation is the hold of any send it stores.
  let hold: BudgetHold | undefined;
  const model = spec.model ?? (ref.provider === 'images' ? deps.config?.images.model : undefined);
  const keep = async (send: number, result: R): Promise<Stored<R>> => {
    const record = { ...spec.toRecord(result), ...ledgerFields(hold, model) };
    return stored(await durably(`answer of ${ref.position}`, deps.log, () => providerCalls.storeResult(ref, send, record)));
  };
  // A render's reservation is the configured image price (Runware reports the real cost with the answer).
  const imagePrice = deps.config?.images.fallbackCostUsd;
  const expected = spec.expectedCostUsd ?? (ref.provider === 'images' && imagePrice !== undefined ? () => imagePrice : undefined);
  const reserveSend = async (send: number) => {
    hold = await reserve(deps, ref, send, expected);
  };

  // A fresh position (the normal case) reads nothing: its reservation entry, the limit reservation of send 0 and
  // `prepare(0)` are independent writes run together. Reserving send 0 before knowing the position is fresh is safe:
  // if it is not, send 0 was reserved before (its key is already applied) or never reserved and about to be reused.
  const opened = await settleAll([providerCalls.openReservation(ref, 0), reserveSend(0), spec.prepare?.(0)]);
  let send = 0;
  if (!opened[0]) {
    const state = await providerCalls.load(ref.position);
    const storedSend = [...state.results.keys()].sort((a, b) => a - b)[0];
    if (storedSend !== undefined) {
      const answer = stored(state.results.get(storedSend)!);
      await applyCost(storedSend, answer);
      return { result: answer.result, replayed: true, send: storedSend };
    }
    const recovered = await spec.recover?.(state);
    if (recovered) {
      // The provider answered it, so it left: count it as sent before anything else can reuse its reservation.
      await durably(`sent mark of ${ref.position}`, deps.log, () => providerCalls.markSent(ref, recovered.send, 'recovered'));
      const answer = await keep(recovered.send, recovered.result);
      await applyCost(recovered.send, answer);
      return { result: answer.result, replayed: true, send: recovered.send };
    }
    const last = state.reservations - 1;
    // The last send never left: its reservation is reused. Otherwise a new send, reserved anew (a duplicate
    // reservation entry means a concurrent attempt opened the same send; both go on under it).
    send = last >= 0 && !state.sent.has(last) ? last : state.reservations;
    if (send > 0) await settleAll([providerCalls.openReservation(ref, send), reserveSend(send), spec.prepare?.(send)]);
  }

  // One try of this send: a later try under the same reservation (after a refusal) has its own sent/refused pair.
  const tryToken = randomUUID();
  let sentMark: Promise<void> | undefined;
  const onSent = () => {
    // Written *before* the request leaves (the hook awaits it): written while the answer was awaited instead, a
    // process killed in the milliseconds before the write landed left a request that arrived but was never counted
    // (seen in the SIGKILL drill). Now the only window is the reverse — marked, then killed before the socket write —
    // which over-counts by one rather than letting a world exceed its call limit. One database round trip per request.
    sentMark ??= durably(`sent mark of ${ref.position}`, deps.log, () => providerCalls.markSent(ref, send, tryToken)).catch((err: unknown) => {
      deps.log.error('could not record that a provider request was sent; a retry may leave it uncounted', {
        position: ref.position,
        error: err instanceof Error ? err.message : String(err),
      });
    });
    return sentMark;
  };
  const started = performance.now();
  let result: R;
  try {
    result = await spec.send({ send, onSent });
  } catch (error) {
    await sentMark;
    if (sentMark && wasRefused(error)) {
      // It was marked sent as it left, but it never arrived: give the reservation back to the next attempt.
      await durably(`refused mark of ${ref.position}`, deps.log, () => providerCalls.markRefused(ref, send, tryToken)).catch((err: unknown) => {
        deps.log.warn('could not record a refused provider request; it stays counted', { position: ref.position, error: err instanceof Error ? err.message : String(err) });
      });
    }
    await safeAudit(deps.log, spec, { send, durationMs: performance.now() - started, error });
    if (hold && hold.reservedUsd > 0 && ref.provider === 'llm' && isProviderHttpError(error)) {
      // The provider answered with an error: nothing was generated or billed (an LLM answer is never looked up
      // later, so no stored answer can settle this send). Without the release, each 429 retried would keep a
      // worst-case hold and a world could stop at its budget having spent far less.
      const reserved = hold.reservedUsd;
      await status.applyOnce(ref.worldId, releaseKey(ref.position, send), { budget_committed_usd: -reserved }).catch((err: unknown) => {
        deps.log.warn('could not release the budget hold of a refused request; it stays held', { position: ref.position, error: err instanceof Error ? err.message : String(err) });
      });
    }
    throw error;
  }
  await sentMark;
  const answer = await keep(send, result);
  const durationMs = performance.now() - started;
  await settleAll([applyCost(send, answer), safeAudit(deps.log, spec, { send, durationMs, result: answer.result })]);
  return { result: answer.result, replayed: false, send };
}

/** A stored answer: the record as kept (with its ledger fields) and the result decoded from it. */
interface Stored<R> {
  record: Record<string, unknown>;
  result: R;
}

const reserve = (deps: PaidRequestDeps, ref: ProviderCallRef, send: number, expected: (() => number) | undefined) =>
  reserveProviderCall(deps.repos.status, ref.worldId, ref.provider, `${ref.position}:s${send}`, expected);

/** Awaits every promise (none left floating) and then throws the first failure, or returns the values. */
async function settleAll<T extends readonly unknown[]>(promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const settled = await Promise.allSettled(promises);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((r) => (r as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> };
}

async function safeAudit<R>(log: Logger, spec: PaidRequestSpec<R>, outcome: Parameters<NonNullable<PaidRequestSpec<R>['audit']>>[0]) {
  try {
    await spec.audit?.(outcome);
  } catch (err) {
    // The audit row is a diagnostic; money and counts are already safe, so its failure never fails the step.
    log.warn('audit row not written', { position: spec.ref.position, error: err instanceof Error ? err.message : String(err) });
  }
}
