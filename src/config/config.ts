/**
 * Worker configuration: one valibot schema over the environment, parsed once at start-up into a deep-frozen,
 * typed {@link Config}. Every knob is documented with its default and the reason for it.
 *
 * Parsing never stops at the first problem: {@link loadConfig} throws a {@link ConfigError} listing every bad
 * variable, one per line, without ever echoing a secret.
 *
 * @module
 */
import * as v from 'valibot';

import { IMAGE_KINDS, LLM_STEPS, type ImageKind, type LlmStep } from '../domain/steps';
import { WORKER_ROLES, type WorkerRole } from '../domain/task-queues';

export { IMAGE_KINDS, LLM_STEPS, type ImageKind, type LlmStep, type WorkerRole };
export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export const IMAGE_OUTPUT_FORMATS = ['JPG', 'PNG', 'WEBP'] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];
export type ImageOutputFormat = (typeof IMAGE_OUTPUT_FORMATS)[number];
export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/** One problem found in the environment. `problem` never contains a secret value. */
export interface ConfigProblem {
  variable: string;
  problem: string;
  expected: string;
}

/** Thrown by {@link loadConfig}; the message lists every problem, one per line. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly problems: readonly ConfigProblem[];
  constructor(problems: ConfigProblem[]) {
    super(
      `Invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.variable}: ${p.problem}; expected ${p.expected}`).join('\n'),
    );
    this.problems = Object.freeze(problems.map((p) => Object.freeze({ ...p })));
  }
  static is(e: unknown): e is ConfigError {
    return e instanceof Error && e.name === 'ConfigError' && Array.isArray((e as ConfigError).problems);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Variable schemas. Every variable arrives as a trimmed string or undefined (empty strings count as unset), so a
// default is the *string* a user would have written and goes through the same validation as a user value.
// Messages are functions so that non-secret values can be echoed; secrets use fixed messages.
// ---------------------------------------------------------------------------------------------------------------

const show = (input: unknown): string => JSON.stringify(input);

const str = (def: string) => v.optional(v.string(), def);
const optStr = () => v.optional(v.string());

const secret = () => v.string('is missing or empty');
const optionalSecret = () => v.optional(v.string());

const intSchema = (min: number, max: number) =>
  v.pipe(
    v.string(),
    v.regex(/^[+-]?\d+$/, (i) => `${show(i.input)} is not an integer`),
    v.transform(Number),
    v.number(),
    v.minValue(min, (i) => `${show(i.input)} is below the minimum ${min}`),
    v.maxValue(max, (i) => `${show(i.input)} is above the maximum ${max}`),
  );
const int = (def: number, min: number, max: number) => v.optional(intSchema(min, max), String(def));
const optInt = (min: number, max: number) => v.optional(intSchema(min, max));

const numSchema = (min: number, max: number, exclusiveMin = false) =>
  v.pipe(
    v.string(),
    v.regex(/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i, (i) => `${show(i.input)} is not a number`),
    v.transform(Number),
    v.number(),
    v.check(
      (n) => (exclusiveMin ? n > min : n >= min),
      (i) => `${show(i.input)} is ${exclusiveMin ? 'not above' : 'below'} the minimum ${min}`,
    ),
    v.maxValue(max, (i) => `${show(i.input)} is above the maximum ${max}`),
  );
const num = (def: number, min: number, max: number) => v.optional(numSchema(min, max), String(def));
const optNum = (min: number, max: number, exclusiveMin = false) => v.optional(numSchema(min, max, exclusiveMin));

const TRUE = ['true', '1', 'yes', 'on'];
const FALSE = ['false', '0', 'no', 'off'];
const bool = () =>
  v.optional(
    v.pipe(
      v.string(),
      v.transform((s) => s.toLowerCase()),
      v.picklist([...TRUE, ...FALSE], (i) => `${show(i.input)} is not a boolean`),
      v.transform((s) => TRUE.includes(s)),
    ),
  );

const url = (def: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.url((i) => `${show(i.input)} is not a URL`),
      v.transform((s) => s.replace(/\/+$/, '')),
    ),
    def,
  );

const enumOf = <const T extends readonly string[]>(values: T, def: T[number], normalise: (s: string) => string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.transform(normalise),
      v.picklist(values, (i) => `${show(i.input)} is not one of the allowed values`),
    ),
    def,
  );

const imageSize = (def: string) =>
  v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+x\d+$/i, (i) => `${show(i.input)} is not WIDTHxHEIGHT`),
      v.transform((s): ImageSize => {
        const [w, h] = s.toLowerCase().split('x');
        return { width: Number(w), height: Number(h) };
      }),
      v.check(
        (s) => [s.width, s.height].every((n) => n % 64 === 0 && n >= 128 && n <= 2048),
        (i) => `${show(`${i.input.width}x${i.input.height}`)} has a side that is not a multiple of 64 in 128..2048`,
      ),
    ),
    def,
  );

const roles = () =>
  v.optional(
    v.pipe(
      v.string(),
      v.transform((s) => [...new Set(s.split(',').map((r) => r.trim().toLowerCase()).filter((r) => r !== ''))]),
      v.check((list) => list.length > 0, 'is an empty list'),
      v.check(
        (list) => list.every((r) => (WORKER_ROLES as readonly string[]).includes(r)),
        (i) =>
          `contains unknown role(s) ${show(i.input.filter((r) => !(WORKER_ROLES as readonly string[]).includes(r)))}`,
      ),
      v.transform((list) => list as WorkerRole[]),
    ),
    WORKER_ROLES.join(','),
  );

const mongoUri = () =>
  v.optional(
    v.pipe(
      v.string(),
      // The URI may hold a password: echo it only redacted.
      v.regex(/^mongodb(\+srv)?:\/\/\S+$/, (i) => `${show(redactUri(String(i.input)))} is not a MongoDB URI`),
    ),
    'mongodb://localhost:27017',
  );

/**
 * Start-to-close timeout of one services activity attempt: `serviceActivityOptions` in
 * src/workflows/activity-options.ts (config must not import workflow code; test/config/grpc-deadline.test.ts keeps
 * the two equal).
 */
export const SERVICES_ACTIVITY_TIMEOUT_MS = 60_000;
/**
 * Upper bound of `GRPC_DEADLINE_MS`. One attempt of a creation may wait for an earlier call to settle, read back
 * (one or more GetCharacterPosts pages) and create — each call bounded by the deadline — so a quarter of the
 * attempt's timeout keeps every call inside its attempt: Temporal never starts a retry while a call of the previous
 * attempt can still commit.
 */
export const MAX_GRPC_DEADLINE_MS = SERVICES_ACTIVITY_TIMEOUT_MS / 4;

/** What each variable expects, for error messages. Keys are the environment variable names. */
const EXPECTED: Record<string, string> = {
  TEMPORAL_ADDRESS: 'host:port of the Temporal frontend',
  TEMPORAL_HOST: 'host:port of the Temporal frontend (legacy name of TEMPORAL_ADDRESS)',
  TEMPORAL_NAMESPACE: 'a Temporal namespace name',
  TEMPORAL_API_KEY: 'a Temporal Cloud API key, or unset',
  TEMPORAL_TLS: 'true|false (also 1|0|yes|no|on|off)',
  MONGODB_URI: 'a mongodb:// or mongodb+srv:// URI',
  MONGODB_DATABASE: 'a database name',
  MONGODB_MAX_POOL_SIZE: 'an integer 1..1000',
  MONGODB_MIN_POOL_SIZE: 'an integer 0..1000, not above MONGODB_MAX_POOL_SIZE',
  OPENROUTER_API_KEY: 'a non-empty OpenRouter API key',
  LLM_BASE_URL: 'an http(s) URL',
  DEFAULT_LLM_MODEL: 'an OpenRouter model id such as google/gemini-2.5-flash',
  LLM_TIMEOUT_MS: 'an integer 1000..3600000 (milliseconds)',
  LLM_HTTP_REFERER: 'a URL or unset',
  LLM_APP_TITLE: 'a short title or unset',
  RUNWARE_API_KEY: 'a non-empty Runware API key',
  RUNWARE_BASE_URL: 'an http(s) URL',
  IMAGE_MODEL: 'a Runware model AIR id such as runware:100@1',
  IMAGE_OUTPUT_FORMAT: `one of ${IMAGE_OUTPUT_FORMATS.join('|')}`,
  IMAGE_FALLBACK_COST_USD: 'a number 0..10 (USD)',
  IMAGE_TIMEOUT_MS: 'an integer 1000..3600000 (milliseconds)',
  IMAGE_HTTP_TIMEOUT_MS: 'an integer 1000..3600000 (milliseconds)',
  CHARACTER_SERVICE_URL: 'an http(s) URL',
  POST_SERVICE_URL: 'an http(s) URL',
  MEDIA_SERVICE_URL: 'an http(s) URL',
  WORLD_SERVICE_URL: 'an http(s) URL',
  GRPC_DEADLINE_MS: `an integer 100..${MAX_GRPC_DEADLINE_MS} (milliseconds): at most a quarter of the services activity's ${SERVICES_ACTIVITY_TIMEOUT_MS} ms start-to-close timeout`,
  WORKER_ROLES: `a comma-separated subset of ${WORKER_ROLES.join(',')}`,
  MAX_WORKFLOW_TASKS_PER_WORKER: 'an integer 1..10000',
  MAX_ACTIVITIES_PER_WORKER: 'an integer 1..10000',
  MAX_CONCURRENT_LLM_REQUESTS: 'an integer 1..10000',
  MAX_CONCURRENT_IMAGE_REQUESTS: 'an integer 1..10000',
  MAX_CONCURRENT_DB_OPERATIONS: 'an integer 1..10000',
  MAX_CONCURRENT_GRPC_CALLS: 'an integer 1..10000',
  LLM_QUEUE_RATE_LIMIT_PER_SECOND: 'a number above 0, or unset',
  IMAGES_QUEUE_RATE_LIMIT_PER_SECOND: 'a number above 0, or unset',
  SHUTDOWN_GRACE_MS: 'an integer 0..3600000 (milliseconds)',
  WORKFLOW_BUNDLE_PATH: 'a file path, or unset',
  MAX_CACHED_WORKFLOWS: 'an integer 0..1000000, or unset',
  HEALTH_PORT: 'a TCP port 1..65535, or unset',
  HEALTH_PROBE_TIMEOUT_MS: 'an integer 100..60000 (milliseconds)',
  API_CALL_LIMIT_HEADROOM: 'a number 1..100',
  LOG_LEVEL: `one of ${LOG_LEVELS.join('|')}`,
};

const llmModelEntries = Object.fromEntries(
  LLM_STEPS.map((s) => [`LLM_MODEL_${s.toUpperCase()}`, optStr()] as const),
) as Record<`LLM_MODEL_${Uppercase<LlmStep>}`, ReturnType<typeof optStr>>;
for (const s of LLM_STEPS) EXPECTED[`LLM_MODEL_${s.toUpperCase()}`] = 'an OpenRouter model id, or unset (DEFAULT_LLM_MODEL)';
for (const k of IMAGE_KINDS) EXPECTED[`IMAGE_SIZE_${k.toUpperCase()}`] = 'WIDTHxHEIGHT, each a multiple of 64 in 128..2048';

/** The flat environment schema; {@link EnvSchema} maps it to the nested {@link Config}. */
const FlatEnvSchema = v.object({
  TEMPORAL_ADDRESS: optStr(),
  TEMPORAL_HOST: optStr(),
  TEMPORAL_NAMESPACE: str('default'),
  TEMPORAL_API_KEY: optionalSecret(),
  TEMPORAL_TLS: bool(),
  MONGODB_URI: mongoUri(),
  MONGODB_DATABASE: str('generia_ai_worker'),
  MONGODB_MAX_POOL_SIZE: optInt(1, 1000),
  MONGODB_MIN_POOL_SIZE: optInt(0, 1000),
  OPENROUTER_API_KEY: secret(),
  LLM_BASE_URL: url('https://openrouter.ai/api/v1'),
  DEFAULT_LLM_MODEL: str('google/gemini-2.5-flash'),
  ...llmModelEntries,
  LLM_TIMEOUT_MS: int(300_000, 1000, 3_600_000),
  LLM_HTTP_REFERER: optStr(),
  LLM_APP_TITLE: optStr(),
  RUNWARE_API_KEY: secret(),
  RUNWARE_BASE_URL: url('https://api.runware.ai/v1'),
  IMAGE_MODEL: str('runware:100@1'),
  IMAGE_OUTPUT_FORMAT: enumOf(IMAGE_OUTPUT_FORMATS, 'JPG', (s) => s.toUpperCase()),
  IMAGE_SIZE_WORLD_HEADER: imageSize('1536x640'),
  IMAGE_SIZE_WORLD_ICON: imageSize('512x512'),
  IMAGE_SIZE_CHARACTER_AVATAR: imageSize('512x512'),
  IMAGE_SIZE_POST_IMAGE: imageSize('768x1024'),
  IMAGE_FALLBACK_COST_USD: num(0.0006, 0, 10),
  IMAGE_TIMEOUT_MS: int(120_000, 1000, 3_600_000),
  IMAGE_HTTP_TIMEOUT_MS: int(60_000, 1000, 3_600_000),
  CHARACTER_SERVICE_URL: url('http://character-service:8089'),
  POST_SERVICE_URL: url('http://post-service:8082'),
  MEDIA_SERVICE_URL: url('http://media-service:8083'),
  WORLD_SERVICE_URL: url('http://world-service:8088'),
  GRPC_DEADLINE_MS: v.optional(
    v.pipe(
      intSchema(100, 600_000),
      v.maxValue(
        MAX_GRPC_DEADLINE_MS,
        (i) =>
          `${show(i.input)} is not well below the services activity's ${SERVICES_ACTIVITY_TIMEOUT_MS} ms start-to-close timeout ` +
          `(at most ${MAX_GRPC_DEADLINE_MS}): a call could outlive its attempt and commit beside the retry`,
      ),
    ),
    '15000',
  ),
  WORKER_ROLES: roles(),
  MAX_WORKFLOW_TASKS_PER_WORKER: int(100, 1, 10_000),
  MAX_ACTIVITIES_PER_WORKER: int(200, 1, 10_000),
  MAX_CONCURRENT_LLM_REQUESTS: int(50, 1, 10_000),
  MAX_CONCURRENT_IMAGE_REQUESTS: int(30, 1, 10_000),
  MAX_CONCURRENT_DB_OPERATIONS: int(20, 1, 10_000),
  MAX_CONCURRENT_GRPC_CALLS: int(100, 1, 10_000),
  LLM_QUEUE_RATE_LIMIT_PER_SECOND: optNum(0, 1_000_000, true),
  IMAGES_QUEUE_RATE_LIMIT_PER_SECOND: optNum(0, 1_000_000, true),
  SHUTDOWN_GRACE_MS: int(30_000, 0, 3_600_000),
  WORKFLOW_BUNDLE_PATH: optStr(),
  MAX_CACHED_WORKFLOWS: optInt(0, 1_000_000),
  HEALTH_PORT: optInt(1, 65_535),
  HEALTH_PROBE_TIMEOUT_MS: int(2_000, 100, 60_000),
  API_CALL_LIMIT_HEADROOM: num(2.0, 1, 100),
  LOG_LEVEL: enumOf(LOG_LEVELS, 'info', (s) => s.toLowerCase()),
});

type FlatEnv = v.InferOutput<typeof FlatEnvSchema>;

/** The validated, nested, deep-frozen worker configuration. */
export interface Config {
  readonly temporal: {
    /**
     * Temporal frontend address, from `TEMPORAL_ADDRESS`, else the original's `TEMPORAL_HOST`.
     * @default 'localhost:7233' — the dev server's address (compose sets `temporal:7233`).
     */
    readonly address: string;
    /** @default 'default' — world-service starts the root workflow in the `default` namespace (spec 17). */
    readonly namespace: string;
    /** `TEMPORAL_API_KEY` (secret). Unset for a self-hosted cluster. */
    readonly apiKey: string | undefined;
    /** `TEMPORAL_TLS`. @default true when an API key is set (Temporal Cloud requires TLS), else false. */
    readonly tls: boolean;
  };
  readonly mongo: {
    /** `MONGODB_URI`. @default 'mongodb://localhost:27017' — no credentials baked in (the original's default had some). */
    readonly uri: string;
    /** `MONGODB_DATABASE`. @default 'generia_ai_worker' — world-service hard-codes this name (spec 6). */
    readonly database: string;
    /**
     * `MONGODB_MAX_POOL_SIZE`. @default 2 × MAX_CONCURRENT_DB_OPERATIONS (40) — as the original: the progress queue
     * runs up to MAX_CONCURRENT_DB_OPERATIONS activities at once, and the other queues also write task and audit
     * records, so twice that keeps progress writes from queueing behind audit writes while bounding connections.
     */
    readonly maxPoolSize: number;
    /**
     * `MONGODB_MIN_POOL_SIZE`. @default min(10, maxPoolSize) — as the original: keeps a few warm connections so
     * the first progress writes after an idle period do not pay connection set-up.
     */
    readonly minPoolSize: number;
  };
  readonly llm: {
    /** `OPENROUTER_API_KEY` (secret, required: every workflow needs the LLM). */
    readonly apiKey: string;
    /** `LLM_BASE_URL`. @default 'https://openrouter.ai/api/v1' (trailing slashes removed). */
    readonly baseUrl: string;
    /** `DEFAULT_LLM_MODEL`. @default 'google/gemini-2.5-flash' — successor of the original's hard-coded Gemini Flash. */
    readonly defaultModel: string;
    /** Model per step: `LLM_MODEL_<STEP>` when set, else {@link defaultModel}. */
    readonly models: Readonly<Record<LlmStep, string>>;
    /** `LLM_TIMEOUT_MS`. @default 300000 — long structured completions (world description) can take minutes. */
    readonly timeoutMs: number;
    /** `LLM_HTTP_REFERER`: OpenRouter's optional app attribution header. */
    readonly httpReferer: string | undefined;
    /** `LLM_APP_TITLE`: OpenRouter's optional app title header (`X-Title`). */
    readonly appTitle: string | undefined;
  };
  readonly images: {
    /** `RUNWARE_API_KEY` (secret, required). */
    readonly apiKey: string;
    /** `RUNWARE_BASE_URL`. @default 'https://api.runware.ai/v1'. */
    readonly baseUrl: string;
    /** `IMAGE_MODEL`. @default 'runware:100@1' — the original's model. */
    readonly model: string;
    /** `IMAGE_OUTPUT_FORMAT`. @default 'JPG' — requested explicitly so the upload's content type matches (spec 15.30). */
    readonly outputFormat: ImageOutputFormat;
    /**
     * `IMAGE_SIZE_<KIND>`. @default world_header 1536x640 (a wide banner, spec 15.31), world_icon 512x512,
     * character_avatar 512x512, post_image 768x1024 (portrait feed image). Runware needs multiples of 64.
     */
    readonly sizes: Readonly<Record<ImageKind, ImageSize>>;
    /** `IMAGE_FALLBACK_COST_USD`. @default 0.0006 — the original's constant; used only when Runware reports no cost. */
    readonly fallbackCostUsd: number;
    /** `IMAGE_TIMEOUT_MS`. @default 120000 — bounds one Runware inference request. */
    readonly timeoutMs: number;
    /** `IMAGE_HTTP_TIMEOUT_MS`. @default 60000 — image download and presigned upload, as the original. */
    readonly httpTimeoutMs: number;
  };
  readonly services: {
    /** `CHARACTER_SERVICE_URL`. @default 'http://character-service:8089' (deployment port, spec 13). */
    readonly characterUrl: string;
    /** `POST_SERVICE_URL`. @default 'http://post-service:8082'. */
    readonly postUrl: string;
    /** `MEDIA_SERVICE_URL`. @default 'http://media-service:8083'. */
    readonly mediaUrl: string;
    /** `WORLD_SERVICE_URL`. @default 'http://world-service:8088'. */
    readonly worldUrl: string;
    /**
     * `GRPC_DEADLINE_MS`. @default 15000 — every call gets a deadline (the original had none, spec 15.14); at most
     * {@link MAX_GRPC_DEADLINE_MS}, a quarter of the services activity's timeout.
     */
    readonly deadlineMs: number;
  };
  readonly worker: {
    /** `WORKER_ROLES`. @default all five — one process polls every queue; split roles to scale them separately. */
    readonly roles: readonly WorkerRole[];
    /** `MAX_WORKFLOW_TASKS_PER_WORKER`. @default 100 — as the original (main queue). */
    readonly maxWorkflowTasks: number;
    /** `MAX_ACTIVITIES_PER_WORKER`. @default 200 — main queue activity slots, as the original. */
    readonly maxActivities: number;
    /** `MAX_CONCURRENT_LLM_REQUESTS`. @default 50 — llm queue slots, as the original. */
    readonly maxConcurrentLlm: number;
    /** `MAX_CONCURRENT_IMAGE_REQUESTS`. @default 30 — images queue slots, as the original. */
    readonly maxConcurrentImages: number;
    /** `MAX_CONCURRENT_DB_OPERATIONS`. @default 20 — progress queue slots, as the original. */
    readonly maxConcurrentDb: number;
    /** `MAX_CONCURRENT_GRPC_CALLS`. @default 100 — services queue slots, as the original. */
    readonly maxConcurrentGrpc: number;
    /** `LLM_QUEUE_RATE_LIMIT_PER_SECOND` → `maxTaskQueueActivitiesPerSecond` on ai-worker-llm. @default unset (no limit). */
    readonly llmQueueRatePerSecond: number | undefined;
    /** `IMAGES_QUEUE_RATE_LIMIT_PER_SECOND` → `maxTaskQueueActivitiesPerSecond` on ai-worker-images. @default unset. */
    readonly imagesQueueRatePerSecond: number | undefined;
    /** `SHUTDOWN_GRACE_MS`. @default 30000 — lets in-flight activities finish on SIGTERM (spec 15.36). */
    readonly shutdownGraceMs: number;
    /** `WORKFLOW_BUNDLE_PATH`: a prebuilt workflow bundle. @default unset (bundle at start-up). */
    readonly workflowBundlePath: string | undefined;
    /** `MAX_CACHED_WORKFLOWS`. @default unset (the SDK's memory-based default). */
    readonly maxCachedWorkflows: number | undefined;
    /**
     * `HEALTH_PORT`: serve `GET /healthz` (200 while every worker of this process is running, else 503) for
     * orchestrator probes — Temporal workers open no port of their own. @default unset (no health server).
     */
    readonly healthPort: number | undefined;
    /**
     * `HEALTH_PROBE_TIMEOUT_MS`: how long `/readyz` waits for each dependency (MongoDB ping, Temporal
     * DescribeNamespace) before reporting it unavailable. @default 2000 — well inside a typical 5 s probe timeout,
     * long enough for a ping queued behind busy operations on FerretDB's one-connection pool.
     */
    readonly healthProbeTimeoutMs: number;
  };
  /**
   * `API_CALL_LIMIT_HEADROOM`. @default 2.0 — when a world arrives without `api_call_limits_*` (world-service never
   * sends them), its limit is ceil(planned calls × headroom): room for retries and re-generation without letting a
   * runaway loop spend unboundedly.
   */
  readonly apiCallLimitHeadroom: number;
  /** `LOG_LEVEL`. @default 'info'. */
  readonly logLevel: LogLevel;
}

function toConfig(e: FlatEnv): Config {
  const models = Object.fromEntries(
    LLM_STEPS.map((s) => [s, e[`LLM_MODEL_${s.toUpperCase()}` as keyof FlatEnv] ?? e.DEFAULT_LLM_MODEL]),
  ) as Record<LlmStep, string>;
  const maxPoolSize = e.MONGODB_MAX_POOL_SIZE ?? 2 * e.MAX_CONCURRENT_DB_OPERATIONS;
  return {
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? e.TEMPORAL_HOST ?? 'localhost:7233',
      namespace: e.TEMPORAL_NAMESPACE,
      apiKey: e.TEMPORAL_API_KEY,
      tls: e.TEMPORAL_TLS ?? e.TEMPORAL_API_KEY !== undefined,
    },
    mongo: {
      uri: e.MONGODB_URI,
      database: e.MONGODB_DATABASE,
      maxPoolSize,
      minPoolSize: e.MONGODB_MIN_POOL_SIZE ?? Math.min(10, maxPoolSize),
    },
    llm: {
      apiKey: e.OPENROUTER_API_KEY,
      baseUrl: e.LLM_BASE_URL,
      defaultModel: e.DEFAULT_LLM_MODEL,
      models,
      timeoutMs: e.LLM_TIMEOUT_MS,
      httpReferer: e.LLM_HTTP_REFERER,
      appTitle: e.LLM_APP_TITLE,
    },
    images: {
      apiKey: e.RUNWARE_API_KEY,
      baseUrl: e.RUNWARE_BASE_URL,
      model: e.IMAGE_MODEL,
      outputFormat: e.IMAGE_OUTPUT_FORMAT,
      sizes: {
        world_header: e.IMAGE_SIZE_WORLD_HEADER,
        world_icon: e.IMAGE_SIZE_WORLD_ICON,
        character_avatar: e.IMAGE_SIZE_CHARACTER_AVATAR,
        post_image: e.IMAGE_SIZE_POST_IMAGE,
      },
      fallbackCostUsd: e.IMAGE_FALLBACK_COST_USD,
      timeoutMs: e.IMAGE_TIMEOUT_MS,
      httpTimeoutMs: e.IMAGE_HTTP_TIMEOUT_MS,
    },
    services: {
      characterUrl: e.CHARACTER_SERVICE_URL,
      postUrl: e.POST_SERVICE_URL,
      mediaUrl: e.MEDIA_SERVICE_URL,
      worldUrl: e.WORLD_SERVICE_URL,
      deadlineMs: e.GRPC_DEADLINE_MS,
    },
    worker: {
      roles: e.WORKER_ROLES,
      maxWorkflowTasks: e.MAX_WORKFLOW_TASKS_PER_WORKER,
      maxActivities: e.MAX_ACTIVITIES_PER_WORKER,
      maxConcurrentLlm: e.MAX_CONCURRENT_LLM_REQUESTS,
      maxConcurrentImages: e.MAX_CONCURRENT_IMAGE_REQUESTS,
      maxConcurrentDb: e.MAX_CONCURRENT_DB_OPERATIONS,
      maxConcurrentGrpc: e.MAX_CONCURRENT_GRPC_CALLS,
      llmQueueRatePerSecond: e.LLM_QUEUE_RATE_LIMIT_PER_SECOND,
      imagesQueueRatePerSecond: e.IMAGES_QUEUE_RATE_LIMIT_PER_SECOND,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
      maxCachedWorkflows: e.MAX_CACHED_WORKFLOWS,
      healthPort: e.HEALTH_PORT,
      healthProbeTimeoutMs: e.HEALTH_PROBE_TIMEOUT_MS,
    },
    apiCallLimitHeadroom: e.API_CALL_LIMIT_HEADROOM,
    logLevel: e.LOG_LEVEL,
  };
}

/** The whole environment schema: flat variables → cross-field checks → nested {@link Config}. */
export const EnvSchema = v.pipe(
  FlatEnvSchema,
  v.forward(
    v.check(
      (e) =>
        e.MONGODB_MIN_POOL_SIZE === undefined ||
        e.MONGODB_MIN_POOL_SIZE <= (e.MONGODB_MAX_POOL_SIZE ?? 2 * e.MAX_CONCURRENT_DB_OPERATIONS),
      (i) => `${i.input.MONGODB_MIN_POOL_SIZE} is above the maximum pool size`,
    ),
    ['MONGODB_MIN_POOL_SIZE'],
  ),
  v.transform(toConfig),
);

const KNOWN_VARIABLES = Object.keys(FlatEnvSchema.entries);

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/**
 * Parses the environment once into a deep-frozen {@link Config}.
 * Values are trimmed; empty strings count as unset (so `FOO=` in a compose file means "use the default").
 * @throws ConfigError listing every problem.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const input: Record<string, string | undefined> = {};
  for (const name of KNOWN_VARIABLES) {
    const raw = env[name]?.trim();
    input[name] = raw === '' ? undefined : raw;
  }
  const result = v.safeParse(EnvSchema, input, { abortPipeEarly: true });
  if (result.success) return deepFreeze(result.output);
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const issue of result.issues) {
    const variable = String(issue.path?.[0]?.key ?? '(environment)');
    if (seen.has(variable)) continue;
    seen.add(variable);
    problems.push({ variable, problem: issue.message, expected: EXPECTED[variable] ?? 'a valid value' });
  }
  throw new ConfigError(problems);
}

/**
 * Hides the password of a URI's userinfo (and of `password=`-style query parameters), keeping the rest readable.
 * Works on multi-host MongoDB URIs, which `URL` cannot parse.
 */
export function redactUri(uri: string): string {
  return uri
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/?#]*)@/i, (_m, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      return colon === -1 ? `${scheme}${userinfo}@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
    })
    .replace(/([?&](?:password|pass|pwd|secret|token|apikey|api_key)=)[^&#]*/gi, '$1***');
}

const presence = (s: string | undefined): 'set' | 'missing' => (s === undefined || s === '' ? 'missing' : 'set');

/** A log-safe summary of the configuration: API keys become 'set' / 'missing', URI passwords are redacted. */
export function describeConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    temporal: { ...config.temporal, apiKey: presence(config.temporal.apiKey) },
    mongo: { ...config.mongo, uri: redactUri(config.mongo.uri) },
    llm: { ...config.llm, apiKey: presence(config.llm.apiKey) },
    images: { ...config.images, apiKey: presence(config.images.apiKey) },
  };
}
