/**
 * A world's milestones as info lines and metrics: started, each stage change, finished with its counts, cost and
 * duration. Every stage change of a world goes through the status repository's `advanceStage` (from the progress
 * activities: startWorld, planning, recordOutcome) or `advanceStages` (finishWorld), so the repository is observed there — one wrapper
 * at the composition root instead of a log call beside each of a dozen transitions.
 *
 * Transitions are idempotent and activities retry, so the same transition can be applied twice; a bounded in-memory
 * set keeps one line and one count per transition in this process (a transition replayed by another process after a
 * crash is logged again there — logs are at least once).
 */
import { CANCELLED_REASON, type StageName } from '../domain/stages';
import type { GenerationStatus } from '../repositories/collections';
import type { GenerationStatusRepository, StageMove } from '../repositories/generation-status-repository';
import type { Logger } from './logger';
import type { Metrics } from './metrics';

type StatusRepository = {
  advanceStage(worldId: string, stage: StageName, status: 'in_progress' | 'completed' | 'failed', reason?: string): Promise<GenerationStatus>;
  /** Several moves in one write (finishWorld): each move is observed as if it were an advanceStage call. */
  advanceStages?: GenerationStatusRepository['advanceStages'];
};

const SEEN_LIMIT = 50_000;

export function observeWorldEvents<R extends StatusRepository>(status: R, log: Logger, metrics: Metrics | undefined, now: () => number = Date.now): R {
  const seen = new Set<string>();
  const firstTime = (key: string) => {
    if (seen.has(key)) return false;
    if (seen.size >= SEEN_LIMIT) seen.clear();
    seen.add(key);
    return true;
  };
  const advanceStage: StatusRepository['advanceStage'] = async (worldId, stage, next, reason) => {
    const doc = await status.advanceStage(worldId, stage, next, reason);
    observe(worldId, stage, next, reason, doc);
    return doc;
  };
  const batched = status.advanceStages?.bind(status);
  const advanceStages: GenerationStatusRepository['advanceStages'] | undefined = batched
    ? async (worldId, plan) => {
        // The moves of the plan as last asked: those of the revision that was written (or found unchanged).
        let moves: readonly StageMove[] = typeof plan === 'function' ? [] : plan;
        const doc = await batched(worldId, typeof plan === 'function' ? (d) => { const b = plan(d); moves = b.moves; return b; } : plan);
        for (const m of moves) observe(worldId, m.stage, m.status, m.reason, doc);
        return doc;
      }
    : undefined;
  const observe = (worldId: string, stage: StageName, next: 'in_progress' | 'completed' | 'failed', reason: string | undefined, doc: GenerationStatus) => {
    if (!firstTime(`${worldId}|${stage}|${next}`)) return;
    log.info('world stage', { world_id: worldId, stage, stage_status: next, ...(reason ? { reason } : {}) });
    if (stage === 'initializing' && next === 'completed') {
      metrics?.worldsStarted.inc();
      log.info('world started', {
        world_id: worldId,
        characters_count: doc.users_predicted,
        posts_count: doc.posts_predicted,
        api_call_limits_llm: doc.api_call_limits_LLM,
        api_call_limits_images: doc.api_call_limits_images,
      });
    }
    // A world ends at `finishing`, or at `initializing` failed when its input was refused (it never starts).
    if ((stage === 'finishing' && next !== 'in_progress') || (stage === 'initializing' && next === 'failed')) finished(doc);
  };
  const finished = (doc: GenerationStatus) => {
    const outcome = doc.status === 'completed' ? 'completed' : doc.error === CANCELLED_REASON || doc.stages.some((s) => s.reason === CANCELLED_REASON) ? 'cancelled' : 'failed';
    const durationS = Math.max(0, (now() - doc.created_at.getTime()) / 1000);
    metrics?.worldsFinished.inc({ status: outcome });
    metrics?.worldDuration.observe({ status: outcome }, durationS);
    const fields = {
      world_id: doc._id,
      status: outcome,
      duration_s: Math.round(durationS * 10) / 10,
      characters_created: doc.users_created,
      characters_predicted: doc.users_predicted,
      avatars_created: doc.avatars_created ?? 0,
      posts_created: doc.posts_created,
      posts_predicted: doc.posts_predicted,
      posts_failed: doc.posts_failed ?? 0,
      llm_calls: doc.api_calls_made_LLM,
      image_calls: doc.api_calls_made_images,
      llm_prompt_tokens: doc.llm_prompt_tokens ?? 0,
      llm_completion_tokens: doc.llm_completion_tokens ?? 0,
      llm_cost_usd: doc.llm_cost_total,
      image_cost_usd: doc.image_cost_total,
      cost_usd: Math.round(((doc.llm_cost_total ?? 0) + (doc.image_cost_total ?? 0)) * 1e6) / 1e6,
      ...(doc.error ? { error: doc.error } : {}),
    };
    if (outcome === 'completed') log.info('world finished', fields);
    else log.warn('world finished', fields);
  };
  return { ...status, advanceStage, ...(advanceStages ? { advanceStages } : {}) };
}
