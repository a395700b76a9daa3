/**
 * Worker configuration: the public entry point. Variables are declared once each in src/config/vars (name, schema,
 * default, meaning, secret or not); this module re-exports what the rest of the code uses. How to add a variable:
 * src/config/README.md.
 *
 * @module
 */
export { IMAGE_KINDS, LLM_STEPS, type ImageKind, type LlmStep } from '../domain/steps';
export type { WorkerRole } from '../domain/task-queues';
export { ConfigError, loadConfig, type Config, type ConfigProblem } from './load';
export { describeConfig } from './describe';
export { redactUri } from './redact';
export { LOG_LEVELS, type LogLevel } from './vars/general';
export { IMAGE_OUTPUT_FORMATS, type ImageOutputFormat, type ImageSize } from './vars/images';
export { MAX_GRPC_DEADLINE_MS, SERVICES_ACTIVITY_TIMEOUT_MS } from './vars/services';
export { unknownVariables, unknownVariableWarnings, WATCHED_PREFIXES } from './unknown';
