import * as v from 'valibot';
import { toJsonSchema } from '@valibot/to-json-schema';
import type { ChatMessage, ChatResponse, LlmClient, LlmUsage } from './llm-client';
import { InvalidModelOutputError } from './provider-errors';

const schemaCache = new WeakMap<v.GenericSchema, Record<string, unknown>>();

/**
 * The JSON Schema sent as `response_format.json_schema.schema` for a valibot schema. Computed once
 * per schema object (WeakMap cache); `$schema` is stripped because some providers reject it.
 * Throws for schemas that cannot be expressed in JSON Schema (transforms, dates…).
 */
export function jsonSchemaFor(schema: v.GenericSchema): Record<string, unknown> {
  const cached = schemaCache.get(schema);
  if (cached) return cached;
  const { $schema: _ignored, ...rest } = toJsonSchema(schema, { errorMode: 'throw' }) as Record<string, unknown>;
  schemaCache.set(schema, rest);
  return rest;
}

/** 0 = first request, 1 = the repair request. */
export type RequestIndex = number;

export interface StructuredRequestOutcome {
  index: RequestIndex;
  durationMs: number;
  request: {
    model: string;
    schemaName: string;
    temperature: number;
    maxTokens: number;
    /** Messages sent, each content truncated to {@link AUDIT_CONTENT_MAX} chars. */
    messages?: ChatMessage[];
  };
  /** Present when the HTTP call returned a usable envelope (even if the content later failed validation). */
  response?: { id: string; model: string; content: string; usage: LlmUsage };
  /** Present when the HTTP call failed (provider error). */
  error?: unknown;
  /** Present when the reply did not parse or validate (a repair request follows, or the call fails). */
  invalidOutput?: string;
}

export interface StructuredOutputHooks {
  /** Called before each request; may throw to stop (e.g. an api-call limit). Nothing is sent then. */
  beforeRequest?(index: RequestIndex): Promise<void>;
  /**
   * Called after every request, successful or not, so the caller can record cost and an audit row
   * per attempt. If it throws, that error propagates (a cost that cannot be recorded aborts the call).
   */
  afterRequest?(outcome: StructuredRequestOutcome): Promise<void>;
}

export interface GenerateStructuredArgs<S extends v.GenericSchema> {
  llm: LlmClient;
  model: string;
  schema: S;
  schemaName: string;
  messages: ChatMessage[];
  temperature: number;
  maxTokens: number;
  signal?: AbortSignal;
  hooks?: StructuredOutputHooks;
}

export interface GenerateStructuredResult<T> {
  value: T;
  /** Summed over all requests; unreported cost counts as 0. */
  usage: { promptTokens: number; completionTokens: number; cost: number };
  /** Number of HTTP requests made (1 or 2). */
  requests: number;
}

/** Max characters of each message / reply kept in audit outcomes. */
export const AUDIT_CONTENT_MAX = 4000;

const truncate = (s: string, max = AUDIT_CONTENT_MAX): string => (s.length > max ? `${s.slice(0, max)}…` : s);

type Check<T> = { ok: true; value: T } | { ok: false; issues: string };

function check<S extends v.GenericSchema>(schema: S, content: string): Check<v.InferOutput<S>> {
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch (err) {
    return { ok: false, issues: `The reply is not valid JSON: ${(err as Error).message}` };
  }
  const parsed = v.safeParse(schema, data);
  if (parsed.success) return { ok: true, value: parsed.output };
  return { ok: false, issues: v.summarize(parsed.issues) };
}

/** The user message of the repair request. */
export function repairPrompt(issues: string): string {
  return [
    'Your previous reply does not satisfy the required JSON schema:',
    issues,
    'Reply again with the complete corrected JSON object only — no prose, no code fences.',
  ].join('\n');
}

/**
 * One structured LLM call: request → JSON.parse → valibot `safeParse`. If the reply does not parse
 * or validate, ONE repair request is made (original messages + the bad reply + the issues); a
 * second failure throws {@link InvalidModelOutputError} (permanent). Provider errors (HTTP,
 * timeout, …) propagate unchanged after `afterRequest` has seen them.
 */
export async function generateStructured<S extends v.GenericSchema>(
  args: GenerateStructuredArgs<S>,
): Promise<GenerateStructuredResult<v.InferOutput<S>>> {
  const { llm, model, schema, schemaName, temperature, maxTokens, signal, hooks } = args;
  const jsonSchema = { name: schemaName, schema: jsonSchemaFor(schema) };
  const usage = { promptTokens: 0, completionTokens: 0, cost: 0 };
  let messages: ChatMessage[] = args.messages;
  let requests = 0;
  let lastIssues = '';

  for (let index = 0; index < 2; index++) {
    await hooks?.beforeRequest?.(index);
    const started = performance.now();
    const auditRequest = {
      model,
      schemaName,
      temperature,
      maxTokens,
      messages: messages.map((m) => ({ role: m.role, content: truncate(m.content) })),
    };
    let response: ChatResponse;
    requests++;
    try {
      response = await llm.chat({
        model,
        messages,
        jsonSchema,
        temperature,
        maxTokens,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      await hooks?.afterRequest?.({
        index,
        durationMs: performance.now() - started,
        request: auditRequest,
        error,
      });
      throw error;
    }
    usage.promptTokens += response.usage.promptTokens;
    usage.completionTokens += response.usage.completionTokens;
    usage.cost += response.usage.cost ?? 0;
    const result = check(schema, response.content);
    await hooks?.afterRequest?.({
      index,
      durationMs: performance.now() - started,
      request: auditRequest,
      response: { ...response, content: truncate(response.content) },
      ...(result.ok ? {} : { invalidOutput: result.issues }),
    });
    if (result.ok) return { value: result.value, usage, requests };
    lastIssues = result.issues;
    messages = [
      ...args.messages,
      { role: 'assistant', content: response.content },
      { role: 'user', content: repairPrompt(result.issues) },
    ];
  }
  throw new InvalidModelOutputError({ schemaName, issues: lastIssues });
}
