/**
 * How each provider's paid answer is kept in `provider_calls` and what it costs: one codec per provider, shared by
 * the activities that pay and by the sweep that settles a world's costs (settle-costs.ts).
 */
import type { ChatResponse } from '../clients/llm-client';
import type { GeneratedImage } from '../clients/runware-client';
import type { CounterIncrements } from '../repositories';

export interface RecordCodec<R> {
  toRecord(result: R): Record<string, unknown>;
  fromRecord(record: Record<string, unknown>): R;
  costOf(result: R): CounterIncrements;
}

/** An OpenRouter answer, content in full (a retried step replays it into the same conversation). */
export const chatCodec: RecordCodec<ChatResponse> = {
  toRecord: (r) => ({
    id: r.id,
    model: r.model,
    content: r.content,
    prompt_tokens: r.usage.promptTokens,
    completion_tokens: r.usage.completionTokens,
    cost: r.usage.cost,
  }),
  fromRecord: (d) => ({
    id: String(d.id ?? ''),
    model: String(d.model ?? ''),
    content: String(d.content ?? ''),
    usage: {
      promptTokens: Number(d.prompt_tokens ?? 0),
      completionTokens: Number(d.completion_tokens ?? 0),
      cost: typeof d.cost === 'number' ? d.cost : null,
    },
  }),
  // An unreported cost counts as 0 (OpenRouter reports it when usage accounting is on, which it is by default).
  costOf: (r) => ({ llm_cost_total: r.usage.cost ?? 0, llm_prompt_tokens: r.usage.promptTokens, llm_completion_tokens: r.usage.completionTokens }),
};

/** A Runware render, its cost already resolved (the provider's figure, else the configured fallback). */
export interface Rendered {
  imageURL: string;
  imageUUID: string;
  cost: number;
  /** Runware's safety check flagged it (kept with the render, so a replay never uploads a flagged image). */
  nsfw?: boolean;
}

export const renderCodec: RecordCodec<Rendered> = {
  toRecord: (r) => ({ imageURL: r.imageURL, imageUUID: r.imageUUID, cost: r.cost, ...(r.nsfw ? { nsfw: true } : {}) }),
  fromRecord: (d) => ({
    imageURL: String(d.imageURL ?? ''),
    imageUUID: String(d.imageUUID ?? ''),
    cost: Number(d.cost ?? 0),
    ...(d.nsfw === true ? { nsfw: true } : {}),
  }),
  costOf: (r) => ({ image_cost_total: r.cost }),
};

// The provider's own figure is the truth; the configured price is only a fallback.
export const renderedOf = (image: GeneratedImage, fallbackCost: number): Rendered => ({
  imageURL: image.imageURL,
  imageUUID: image.imageUUID,
  cost: image.cost ?? fallbackCost,
  ...(image.nsfw === true ? { nsfw: true } : {}),
});

/** The counter increments of a stored answer, whichever provider made it. */
export const costOfRecord = (provider: 'llm' | 'images', record: Record<string, unknown>): CounterIncrements =>
  provider === 'llm' ? chatCodec.costOf(chatCodec.fromRecord(record)) : renderCodec.costOf(renderCodec.fromRecord(record));
