import { toJsonSchema } from '@valibot/to-json-schema';
import { LLM_SCHEMAS, type LlmStep } from './index';

// Kept out of index.ts so workflow bundles that only need the valibot schemas do not pull in the converter.

export type JsonSchemaObject = Record<string, unknown>;

/**
 * The JSON Schema of a step's output, ready for `response_format: { type: 'json_schema', json_schema: { name,
 * strict: true, schema } }`. Every object has `additionalProperties: false` and all keys required. The `$schema`
 * key is removed because some providers reject it.
 */
export function llmJsonSchema(step: LlmStep): JsonSchemaObject {
  const { $schema: _ignored, ...schema } = toJsonSchema(LLM_SCHEMAS[step].schema) as JsonSchemaObject;
  return schema;
}
