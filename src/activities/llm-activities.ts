/**
 * The `ai-worker-llm` queue: one activity, `runLlmStep`, that runs any of the eight LLM steps for
 * a task. Every provider request goes through `paidRequest`: reserved against the world's limit per
 * request (not per attempt), its answer stored before its cost and tokens are counted (keyed by the
 * stored answer) and an audit row written. A retried step replays the answers it already paid for.
 * The validated value is stored on the task — a retry after a lost completion finds it there and
 * spends nothing.
 */
import { Context } from '@temporalio/activity';
import type * as v from 'valibot';
import type { ChatRequest, ChatResponse, LlmClient } from '../clients/llm-client';
import { generateStructured } from '../clients/structured-output';
import type { LlmStep } from '../domain/steps';
import { translateErrors } from '../errors';
import { LLM_SCHEMAS } from '../schemas/llm';
import type { LlmActivities } from './contracts';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { paidRequest } from './paid-request';
import { chatCodec } from './paid-records';
import { expectedChatCostUsd } from './spend-records';
import { STEP_HANDLERS, type LlmRequest, type StepRuntime } from './llm-steps';

export function createLlmActivities(deps: ActivityDeps): LlmActivities {
  return {
    runLlmStep: ({ taskId, step, begin }) =>
      translateErrors(`LLM step ${step} for task ${taskId}`, () => withHeartbeat(async () => {
        // `begin`: the task's first step marks it started itself (one activity, one read, instead of a beginTask
        // beside it); a finished task stays as it is (TaskRepository.start).
        const task = begin === true ? await deps.repos.tasks.start(taskId) : await deps.repos.tasks.require(taskId);
        const stored = (task.result as Record<string, unknown> | null)?.[step];
        if (stored !== undefined && stored !== null) return { items: itemsOf(stored) };

        const runtime = createStepRuntime(deps, task.world_id, taskId, step);
        const value = await STEP_HANDLERS[step]({ deps, task, runtime });
        await deps.repos.tasks.saveStepResult(taskId, step, value);
        return { items: itemsOf(value) };
      })),
  };
}

function itemsOf(value: unknown): number {
  if (value && typeof value === 'object' && Array.isArray((value as { concepts?: unknown }).concepts)) {
    return (value as { concepts: unknown[] }).concepts.length;
  }
  return 1;
}

/**
 * Binds one run of a step to its paid requests. Request positions are counted per run — the q-th structured call
 * of the step and, within it, r = 0 (first request) or 1 (repair) — so a retried run meets the same positions in
 * the same order: the conversation is deterministic given the same earlier answers, and those are replayed from
 * `provider_calls` instead of paid again (see paid-request.ts).
 */
function createStepRuntime(deps: ActivityDeps, worldId: string, taskId: string, step: LlmStep): StepRuntime {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  let sequence = 0;
  const spec = LLM_SCHEMAS[step];
  const model = deps.config.llm.models[step];

  return {
    async request<S extends v.GenericSchema>(req: LlmRequest<S>) {
      const base = `llm:${taskId}:${step}:q${sequence++}`;
      let index = 0;
      const llm: LlmClient = {
        chat: (chatReq) => paidChat(deps, { worldId, taskId, step, attempt, position: `${base}:r${index++}` }, chatReq),
      };
      return generateStructured({
        llm,
        model,
        schema: req.schema,
        schemaName: spec.name,
        messages: req.messages,
        temperature: spec.temperature,
        maxTokens: spec.maxTokens,
        signal: ctx.cancellationSignal,
      });
    },
  };
}

interface ChatPosition {
  worldId: string;
  taskId: string;
  step: LlmStep;
  attempt: number;
  position: string;
}

/** One chat request at a fixed position: paid at most once per send, answer stored before its cost is counted. */
async function paidChat(deps: ActivityDeps, at: ChatPosition, req: ChatRequest): Promise<ChatResponse> {
  const { result, replayed } = await paidRequest<ChatResponse>(deps, {
    ref: { worldId: at.worldId, taskId: at.taskId, position: at.position, provider: 'llm' },
    send: ({ onSent }) => deps.llm.chat({ ...req, onSent }),
    ...chatCodec,
    // Where the cost came from, for the cost report (the provider's figure, or the price table's).
    toRecord: (r) => ({ ...chatCodec.toRecord(r), ...(r.usage.costSource ? { cost_source: r.usage.costSource } : {}) }),
    model: req.model,
    expectedCostUsd: () => expectedChatCostUsd(deps.config.spend.llmPrices, req),
    audit: ({ send, durationMs, result: response, error }) =>
      deps.repos.audit
        .record({
          _id: `${at.position}:s${send}:a${at.attempt}`,
          api_type: 'llm',
          task_id: at.taskId,
          world_id: at.worldId,
          request_type: `llm_${at.step}`,
          request_data: {
            model: req.model,
            schema: req.jsonSchema.name,
            temperature: req.temperature,
            max_tokens: req.maxTokens,
            attempt: at.attempt,
            repair: !at.position.endsWith(':r0'),
          },
          response_data: response ? { id: response.id, model: response.model, content_chars: response.content.length } : null,
          error: error ? errorText(error) : null,
          duration_ms: Math.round(durationMs),
          prompt_tokens: response?.usage.promptTokens ?? null,
          completion_tokens: response?.usage.completionTokens ?? null,
          cost: response ? (response.usage.cost ?? 0) : null,
          attempt: at.attempt,
        })
        .then(() => undefined),
  });
  if (!replayed && result.usage.costSource === 'none') {
    // Counted as 0 in the status document: say so loudly rather than let the world look free.
    deps.log.warn('LLM answer reported no cost and its model has no price; counted as 0 (set LLM_PRICES)', { world_id: at.worldId, model: req.model, position: at.position });
  }
  deps.log.debug('llm request', { world_id: at.worldId, task_id: at.taskId, step: at.step, position: at.position, replayed, cost: result.usage.cost });
  return result;
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 1000);
}
