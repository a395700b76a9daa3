/**
 * The `ai-worker-llm` queue: one activity, `runLlmStep`, that runs any of the eight LLM steps for
 * a task. Before every provider request it reserves one call against the world's limit; after it,
 * it records the real cost and tokens (keyed, so a retried activity never counts a request twice)
 * and an audit row. The validated answer is stored on the task — a retry after a lost completion
 * finds it there and spends nothing.
 */
import { Context } from '@temporalio/activity';
import type * as v from 'valibot';
import { generateStructured } from '../clients/structured-output';
import type { LlmStep } from '../domain/steps';
import { translateErrors } from '../errors';
import { LLM_SCHEMAS } from '../schemas/llm';
import type { LlmActivities } from './contracts';
import type { ActivityDeps } from './deps';
import { withHeartbeat } from './heartbeat';
import { reserveProviderCall } from './call-limits';
import { STEP_HANDLERS, type LlmRequest, type StepRuntime } from './llm-steps';

export function createLlmActivities(deps: ActivityDeps): LlmActivities {
  return {
    runLlmStep: ({ taskId, step }) =>
      translateErrors(`LLM step ${step} for task ${taskId}`, () => withHeartbeat(async () => {
        const task = await deps.repos.tasks.require(taskId);
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

/** Binds limit reservation, cost accounting and auditing to one step of one task. */
function createStepRuntime(deps: ActivityDeps, worldId: string, taskId: string, step: LlmStep): StepRuntime {
  const ctx = Context.current();
  const attempt = ctx.info.attempt;
  let sequence = 0;
  const spec = LLM_SCHEMAS[step];
  const model = deps.config.llm.models[step];

  return {
    async request<S extends v.GenericSchema>(req: LlmRequest<S>) {
      const base = `llm:${taskId}:${step}:a${attempt}:q${sequence++}`;
      return generateStructured({
        llm: deps.llm,
        model,
        schema: req.schema,
        schemaName: spec.name,
        messages: req.messages,
        temperature: spec.temperature,
        maxTokens: spec.maxTokens,
        signal: ctx.cancellationSignal,
        hooks: {
          beforeRequest: (index) => reserveProviderCall(deps.repos.status, worldId, 'llm', `${base}:r${index}`),
          afterRequest: async (outcome) => {
            const key = `${base}:r${outcome.index}`;
            const usage = outcome.response?.usage;
            const cost = usage?.cost ?? 0;
            if (usage) {
              await deps.repos.status.applyOnce(worldId, `cost:${key}`, {
                llm_cost_total: cost,
                llm_prompt_tokens: usage.promptTokens,
                llm_completion_tokens: usage.completionTokens,
              });
            }
            await deps.repos.audit.record({
              _id: key,
              api_type: 'llm',
              task_id: taskId,
              world_id: worldId,
              request_type: `llm_${step}`,
              request_data: { model, schema: spec.name, temperature: spec.temperature, max_tokens: spec.maxTokens, attempt, repair: outcome.index > 0 },
              response_data: outcome.response
                ? { id: outcome.response.id, model: outcome.response.model, content_chars: outcome.response.content.length }
                : null,
              error: outcome.error ? errorText(outcome.error) : null,
              duration_ms: Math.round(outcome.durationMs),
              prompt_tokens: usage?.promptTokens ?? null,
              completion_tokens: usage?.completionTokens ?? null,
              cost: usage ? cost : null,
              attempt,
            });
            deps.log.debug('llm request', { world_id: worldId, task_id: taskId, step, attempt, ms: Math.round(outcome.durationMs), cost });
          },
        },
      });
    },
  };
}

function errorText(err: unknown): string {
  const text = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return text.slice(0, 1000);
}
