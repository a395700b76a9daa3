/* eslint-disable @typescript-eslint/no-explicit-any -- stand-in call records carry protobuf JSON. */
/**
 * The drills: each trial generates one small world against the lab while something goes wrong — a worker
 * SIGKILLed, a server restarted, a provider storm, a service losing responses, the same start sent twice — and
 * ends with checkWorld(), the exact-world check. A trial's seed picks its moments and fault positions, so a
 * failing trial can be re-run alone: `bun run drill --only <drill> --seed <seed> --seeds 1`.
 */
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab, WorldInput } from './lab';
import { seededRandom, type Rng } from './random';
import { checkWorld, type WorldReport } from './world-check';

export interface DrillOptions {
  quick: boolean;
  /** Seeds for the drills that take one trial per seed (the random-kill drill); others derive theirs from seeds[0]. */
  seeds: number[];
}

export interface TrialSpec {
  drill: string;
  label: string;
  seed: number;
  /** The `--seed` that reproduces this trial (with `--only <drill>`). */
  base: number;
  run(lab: Lab, log: (line: string) => void): Promise<WorldReport>;
}

export interface Drill {
  name: string;
  summary: string;
  trials(opts: DrillOptions): TrialSpec[];
}

interface TrialContext {
  lab: Lab;
  rng: Rng;
  worldId: string;
  input: WorldInput;
  log: (line: string) => void;
  /** Set once the world has settled: schedulers stop. */
  done(): boolean;
  /** A problem the world check cannot see (a kill that never fired, a worker that would not start…). */
  problem(message: string): void;
}

interface WorldPlan {
  characters: number;
  posts: number;
  expect: 'completed' | 'either';
  /** See WorldExpectation.ambiguousCharacters. */
  ambiguousCharacters?: boolean;
  timeoutMs?: number;
  /** Starts the world; default: one start, as world-service sends it. */
  start?(ctx: TrialContext): Promise<void>;
  /** Runs beside the world (kills, restarts, fault schedules); a rejection ends the trial as failed. */
  during?(ctx: TrialContext): Promise<void>;
  /** After the world settled and before the check (e.g. the late re-start). */
  after?(ctx: TrialContext): Promise<void>;
}

const TRIAL_TIMEOUT_MS = 6 * 60_000;

const sizes = (quick: boolean) => (quick ? { characters: 2, posts: 6 } : { characters: 3, posts: 8 });

/** Runs one world under a plan and returns the exact-world report (with the plan's own problems added). */
async function runWorld(lab: Lab, rng: Rng, log: (line: string) => void, plan: WorldPlan): Promise<WorldReport> {
  lab.resetStandIns();
  const problems: string[] = [];
  if (lab.workers().length === 0) {
    try {
      await lab.startWorker();
    } catch (err) {
      return failedBeforeStart(`no worker could be started: ${firstLine(err)}`);
    }
  }
  const worldId = randomUUID();
  const input: WorldInput = {
    world_id: worldId,
    world_name: 'Saltglass Reach',
    world_prompt: 'A desert of glass dunes where caravans trade in bottled storms.',
    characters_count: plan.characters,
    posts_count: plan.posts,
  };
  let settled = false;
  let aborted = false;
  const ctx: TrialContext = { lab, rng, worldId, input, log, done: () => settled, problem: (m) => problems.push(m) };
  await (plan.start ? plan.start(ctx) : lab.startWorld(input).then(() => undefined));
  const during = (plan.during?.(ctx) ?? Promise.resolve()).catch((err: unknown) => {
    problems.push(firstLine(err));
    aborted = true;
  });
  const result = await lab.waitSettled(worldId, plan.timeoutMs ?? TRIAL_TIMEOUT_MS, () => aborted);
  settled = true;
  await during;
  if (result.timedOut) {
    log(`world ${worldId} did not settle (status ${result.status?.status ?? 'none'}); terminating its workflows`);
    await lab.terminateWorld(worldId);
  } else if (plan.after) {
    await plan.after(ctx).catch((err: unknown) => problems.push(firstLine(err)));
  }
  const report = checkWorld(lab, { worldId, characters: plan.characters, posts: plan.posts, expect: plan.expect, ambiguousCharacters: plan.ambiguousCharacters ?? false }, result, lab.workers().map((w) => w.output()));
  report.mismatches.push(...problems);
  report.pass = report.pass && problems.length === 0;
  if (!report.pass) {
    // What the stand-ins saw, for the post-mortem (the stand-ins are reset by the next trial).
    const file = join(lab.logDir, `world-${worldId}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        {
          input,
          kills: lab.kills,
          status: result.status,
          llm: lab.llm.requests.map((r) => ({ at: r.at, schema: r.schemaName, status: r.status, cost: r.cost, fault: r.fault })),
          images: lab.images.requests.map((r) => ({ at: r.at, taskUUIDs: r.tasks.map((t) => t?.taskUUID), status: r.status, cost: r.cost, fault: r.fault })),
          services: lab.services.calls.map((c) => ({ at: c.at, method: c.method, outcome: c.outcome })),
        },
        null,
        1,
      ),
    );
    report.summary += `; stand-in records in ${file}`;
  }
  return report;
}

function failedBeforeStart(reason: string): WorldReport {
  return { outcome: 'not started', pass: false, duplicates: 0, lost: 0, mismatches: [reason], summary: '' };
}

function firstLine(err: unknown): string {
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n').slice(0, 3).join(' | ');
}

/** Resolves true when `predicate` holds (polled every 2 ms), false if the world settled first. */
async function until(ctx: TrialContext, predicate: () => boolean): Promise<boolean> {
  while (!ctx.done()) {
    if (predicate()) return true;
    await Bun.sleep(2);
  }
  return false;
}

/** SIGKILLs every worker and starts one replacement (which must come up: an operator's first move). */
async function killAndReplace(ctx: TrialContext, why: string): Promise<void> {
  const victims = ctx.lab.workers();
  ctx.log(`SIGKILL ${victims.map((w) => `worker ${w.n}`).join(', ')} (${why})`);
  for (const w of victims) await ctx.lab.killWorker(w);
  try {
    await ctx.lab.startWorker();
  } catch (err) {
    throw new Error(`replacement worker failed to start: ${firstLine(err)}`);
  }
}

const worldCalls = (ctx: TrialContext, method: string) => ctx.lab.services.calls.filter((c) => c.method === method && (c.request as any)?.worldId === ctx.worldId);
const mediaOfWorld = (ctx: TrialContext) => [...ctx.lab.services.state.media.values()].filter((m) => m.worldId === ctx.worldId).length;
const charactersOfWorld = (ctx: TrialContext) => [...ctx.lab.services.state.characters.values()].filter((c) => c.worldId === ctx.worldId).length;
const postsOfWorld = (ctx: TrialContext) => [...ctx.lab.services.state.posts.values()].filter((p) => p.worldId === ctx.worldId).length;

// ------------------------------------------------------------------------------------------------ kill-random

const killRandom: Drill = {
  name: 'kill-random',
  summary: 'SIGKILL the worker at a seeded random moment (after the k-th stand-in event, plus 0–250 ms); a replacement takes over',
  // Every kill costs up to a minute (Temporal waits for the dead worker's heartbeat or start-to-close timeout), so
  // the quick set has only one kill, in kill-on-effect.
  trials: ({ quick, seeds }) =>
    (quick ? [] : seeds).map((seed) => ({
      drill: 'kill-random',
      label: `seed ${seed}`,
      seed,
      base: seed,
      run: (lab, log) => {
        const rng = seededRandom(seed);
        const size = sizes(quick);
        // A 3×8 world makes about 95 stand-in events: aim inside the world.
        const k = rng.int(3, 70);
        const jitter = rng.int(0, 250);
        return runWorld(lab, rng, log, {
          ...size,
          expect: 'completed',
          async during(ctx) {
            if (!(await until(ctx, () => lab.events() >= k))) return ctx.problem(`the world settled before the kill (event ${k})`);
            await Bun.sleep(jitter);
            if (ctx.done()) return ctx.problem(`the world settled before the kill (event ${k} + ${jitter} ms)`);
            await killAndReplace(ctx, `after event ${k} + ${jitter} ms`);
          },
        });
      },
    })),
};

// --------------------------------------------------------------------------------------------- kill-on-effect

interface EffectMoment {
  label: string;
  /** How many such events a world of the given size has (the seed picks one of them). */
  count(size: { characters: number; posts: number }): number;
  /** Number of such events so far. */
  seen(ctx: TrialContext): number;
  /** The worker cannot learn whether the effect happened (no read-back): a truthful "may have created" failure passes. */
  unknowable?: boolean;
}

/**
 * The kill lands as a stand-in sees the request (before it answers; a service call is then abandoned before its
 * effect, since the stand-in's latency comes first) or right after the service committed the effect.
 */
const EFFECT_MOMENTS: EffectMoment[] = [
  { label: 'OpenRouter request received', count: (s) => 3 + 2 * s.characters + s.characters + 2 * s.posts, seen: (ctx) => ctx.lab.llm.requests.length },
  { label: 'Runware request received', count: (s) => 2 + s.characters + s.posts, seen: (ctx) => ctx.lab.images.requests.length },
  { label: 'CreateCharacter request received', count: (s) => s.characters, seen: (ctx) => worldCalls(ctx, 'CreateCharacter').length, unknowable: true },
  { label: 'CreateCharacter committed', count: (s) => s.characters, seen: charactersOfWorld, unknowable: true },
  { label: 'CreateAIPost request received', count: (s) => s.posts, seen: (ctx) => worldCalls(ctx, 'CreateAIPost').length },
  { label: 'GetPresignedUploadURL committed', count: (s) => 2 + s.characters + s.posts, seen: mediaOfWorld },
  { label: 'CreateAIPost committed', count: (s) => s.posts, seen: postsOfWorld },
];

const killOnEffect: Drill = {
  name: 'kill-on-effect',
  summary: 'SIGKILL the worker at the instant of a side effect (a provider request received, a service create committed)',
  trials: ({ quick, seeds }) =>
    EFFECT_MOMENTS.filter((m) => !quick || m.label === 'CreateAIPost committed').map((moment, i) => {
      const seed = seeds[0]! + i;
      return {
        drill: 'kill-on-effect',
        label: `${moment.label}, seed ${seed}`,
        seed,
        base: seeds[0]!,
        run: (lab, log) => {
          const rng = seededRandom(seed);
          const size = sizes(quick);
          const nth = rng.int(1, moment.count(size));
          return runWorld(lab, rng, log, {
            ...size,
            ...(moment.unknowable ? { expect: 'either', ambiguousCharacters: true } : { expect: 'completed' }),
            async during(ctx) {
              if (!(await until(ctx, () => moment.seen(ctx) >= nth))) return ctx.problem(`the world settled before ${moment.label} #${nth}`);
              await killAndReplace(ctx, `${moment.label} #${nth}`);
            },
          });
        },
      };
    }),
};

// -------------------------------------------------------------------------------------------------- restarts

function restartDrill(name: 'mongo-restart' | 'temporal-restart', method: 'restartMongo' | 'restartTemporal', what: string): Drill {
  return {
    name,
    summary: `restart ${what} mid-world (the stack keeps its state on disk); the worker must reconnect by itself`,
    trials: ({ quick, seeds }) =>
      (quick ? [] : [0, 1]).map((i) => {
        const seed = seeds[0]! + 100 + i;
        return {
          drill: name,
          label: `seed ${seed}`,
          seed,
          base: seeds[0]!,
          run: (lab, log) => {
            const rng = seededRandom(seed);
            const k = rng.int(5, 60);
            const downtimeMs = rng.int(500, 5_000);
            return runWorld(lab, rng, log, {
              ...sizes(quick),
              expect: 'completed',
              async during(ctx) {
                if (!(await until(ctx, () => lab.events() >= k))) return ctx.problem(`the world settled before the restart (event ${k})`);
                const t0 = Date.now();
                ctx.log(`${method}({ downtimeMs: ${downtimeMs} }) after event ${k}`);
                await lab.stack[method]({ downtimeMs });
                ctx.log(`${what} back after ${((Date.now() - t0) / 1000).toFixed(1)} s`);
              },
            });
          },
        };
      }),
  };
}

// ---------------------------------------------------------------------------------------------- provider-storm

type LlmFault = Parameters<Lab['llm']['faults']['push']>[0];
type ImageFault = Parameters<Lab['images']['faults']['push']>[0];

/** Faults every provider may throw at us; each is retryable, so the world must still complete. */
const LLM_STORM: { label: string; fault: LlmFault }[] = [
  { label: '429 Retry-After 1', fault: { status: 429, retryAfter: 1 } },
  { label: '429', fault: { status: 429 } },
  { label: '500', fault: { status: 500 } },
  { label: '502', fault: { status: 502 } },
  { label: '503', fault: { status: 503 } },
  // Longer than LLM_TIMEOUT_MS (3 s in the lab): the client gives up.
  { label: 'timeout', fault: { delayMs: 4_000 } },
  { label: 'reset', fault: { dropResponse: true } as LlmFault },
  { label: 'malformed', fault: { malformed: true } },
  { label: 'schema-invalid', fault: { schemaInvalid: true } },
  { label: 'error in body', fault: { errorInBody: true } },
];
const IMAGE_STORM: { label: string; fault: ImageFault }[] = [
  { label: '429 Retry-After 1', fault: { status: 429, retryAfter: 1 } },
  { label: '429', fault: { status: 429 } },
  { label: '500', fault: { status: 500 } },
  { label: '503', fault: { status: 503 } },
  { label: 'timeout', fault: { delayMs: 4_000 } },
  { label: 'reset', fault: { dropResponse: true } as ImageFault },
  { label: 'errors', fault: { errors: true, code: 'provider' } },
  { label: 'schema-invalid body', fault: { status: 200, body: { data: 'not a list' } } },
];
/** Every schema takes one fault; the extra faults go to schemas a world asks for several times (never a singleton twice). */
// Release 0.3 worlds no longer ask for CharacterAvatarPromptResponse or PostImagePromptResponse (the profile and the
// post write those prompts), so a fault queued for them would never be taken.
const LLM_SCHEMAS = [
  'WorldDescriptionResponse',
  'ImagePromptResponse',
  'CharacterBatchResponse',
  'CharacterDetailResponse',
  'PostBatchResponse',
  'PostDetailResponse',
];
const REPEATED_SCHEMAS = ['CharacterDetailResponse', 'PostBatchResponse', 'PostDetailResponse'];

const providerStorm: Drill = {
  name: 'provider-storm',
  summary: 'OpenRouter and Runware storms: 429 with and without Retry-After, 5xx, timeouts, resets, malformed and schema-invalid bodies',
  trials: ({ quick, seeds }) =>
    (quick ? [0] : [0, 1]).map((i) => {
      const seed = seeds[0]! + 200 + i;
      return {
        drill: 'provider-storm',
        label: `seed ${seed}`,
        seed,
        base: seeds[0]!,
        run: (lab, log) => {
          const rng = seededRandom(seed);
          const size = sizes(quick);
          // Every LLM fault goes to a seeded schema; a schema asked once per world takes at most one, so no step
          // sees more consecutive faults than its retry policy allows.
          const shuffled = rng.shuffle(LLM_STORM);
          const targets = [...LLM_SCHEMAS, ...rng.shuffle(REPEATED_SCHEMAS)];
          const assignments = shuffled.map((f, j) => ({ ...f, schemaName: targets[j % targets.length]! }));
          const imageCount = 2 + size.characters + size.posts;
          const positions = rng.distinct(IMAGE_STORM.length, 0, imageCount + IMAGE_STORM.length - 1);
          log(`LLM faults: ${assignments.map((a) => `${a.label} → ${a.schemaName}`).join(', ')}; image faults at requests ${positions.join(',')}`);
          return runWorld(lab, rng, log, {
            ...size,
            expect: 'completed',
            start: async (ctx) => {
              for (const a of assignments) lab.llm.faults.push(a.fault, 1, { schemaName: a.schemaName });
              await lab.startWorld(ctx.input);
            },
            async during(ctx) {
              // Runware faults take no matcher: queue each one when the request count reaches its position.
              for (const [j, at] of positions.entries()) {
                if (!(await until(ctx, () => lab.images.requests.length >= at))) break;
                lab.images.faults.push(IMAGE_STORM[j]!.fault);
              }
            },
          });
        },
      };
    }),
};

// ---------------------------------------------------------------------------------------------- service-faults

type ServiceFault = Parameters<Lab['services']['faults']['inject']>[1];

interface ServiceScenario {
  label: string;
  /** See EffectMoment.unknowable. */
  unknowable?: boolean;
  faults: { method: string; fault: ServiceFault }[];
}

const SERVICE_SCENARIOS: ServiceScenario[] = [
  {
    label: 'lost responses after commit',
    // Every way a committed call can look failed to the client (the stand-ins' lostResponse kinds) plus a commit
    // that lands after the client's deadline.
    faults: [
      { method: 'CreateAIPost', fault: { lostResponse: 'unavailable' } },
      { method: 'CreateAIPost', fault: { lostResponse: 'deadline' } },
      { method: 'CreateAIPost', fault: { lateCommitMs: 2_500 } },
      { method: 'GetPresignedUploadURL', fault: { lostResponse: 'reset' } },
      { method: 'ConfirmUpload', fault: { lostResponse: 'disconnect' } },
      { method: 'UpdateCharacter', fault: { lostResponse: 'unavailable' } },
      { method: 'UpdateWorldParams', fault: { lostResponse: 'deadline' } },
      { method: 'UpdateWorldImage', fault: { lostResponse: 'reset' } },
    ],
  },
  {
    // character-service has no read-back for AI characters: the worker may only report the character as possibly
    // created (never create it twice), so a truthful failure passes.
    label: 'lost CreateCharacter response',
    unknowable: true,
    // UNAVAILABLE without the effect is, to the client, the same as a response lost after commit (issue 7 lists
    // UNAVAILABLE among the ambiguous outcomes), so it belongs here, not among the recoverable faults.
    faults: [
      { method: 'CreateCharacter', fault: { lostResponse: 'unavailable' } },
      { method: 'CreateCharacter', fault: { code: 'UNAVAILABLE' } },
    ],
  },
  {
    label: 'transient errors, deadlines and upload failures',
    faults: [
      { method: 'CreateAIPost', fault: { code: 'UNAVAILABLE' } },
      // Longer than GRPC_DEADLINE_MS (2 s in the lab): the client's deadline expires first.
      { method: 'CreateAIPost', fault: { delayMs: 2_500 } },
      { method: 'GetPresignedUploadURL', fault: { code: 'DEADLINE_EXCEEDED' } },
      { method: 'ConfirmUpload', fault: { code: 'UNAVAILABLE' } },
      { method: 'Upload', fault: { httpStatus: 503 } },
      { method: 'Upload', fault: { httpStatus: 500 } },
      { method: 'UpdateWorldParams', fault: { code: 'UNAVAILABLE' } },
    ],
  },
];

const serviceFaults: Drill = {
  name: 'service-faults',
  summary: 'service faults: responses lost after the effect committed, UNAVAILABLE, deadlines, presigned-upload 5xx',
  trials: ({ quick, seeds }) =>
    SERVICE_SCENARIOS.filter((s) => !quick || s.label !== 'transient errors, deadlines and upload failures').map((scenario, i) => {
      const seed = seeds[0]! + 300 + i;
      return {
        drill: 'service-faults',
        label: `${scenario.label}, seed ${seed}`,
        seed,
        base: seeds[0]!,
        run: (lab, log) => {
          const rng = seededRandom(seed);
          const size = sizes(quick);
          // The seed picks which call of each method takes the fault (the first to the third).
          const plan = scenario.faults.map((f) => ({ ...f, nth: f.method === 'UpdateWorldParams' || f.method === 'UpdateWorldImage' ? 1 : rng.int(1, 3) }));
          log(`service faults: ${plan.map((p) => `${p.method}#${p.nth} ${JSON.stringify(p.fault)}`).join(', ')}`);
          return runWorld(lab, rng, log, {
            ...size,
            ...(scenario.unknowable ? { expect: 'either', ambiguousCharacters: true } : { expect: 'completed' }),
            start: async (ctx) => {
              for (const p of plan.filter((x) => x.nth === 1)) lab.services.faults.inject(p.method, p.fault);
              await lab.startWorld(ctx.input);
            },
            async during(ctx) {
              // A fault for the n-th call is queued once n−1 calls of that method have arrived.
              const later = plan.filter((p) => p.nth > 1);
              const calls = (method: string) => (method === 'Upload' ? lab.services.calls.filter((c) => c.method === 'Upload').length : worldCalls(ctx, method).length);
              await Promise.all(
                later.map(async (p) => {
                  if (await until(ctx, () => calls(p.method) >= p.nth - 1)) lab.services.faults.inject(p.method, p.fault);
                }),
              );
            },
          });
        },
      };
    }),
};

// ------------------------------------------------------------------------------------------------ double-start

const doubleStart: Drill = {
  name: 'double-start',
  summary: 'the same world started twice at once, and again after it finished: one world, nothing re-done, status untouched',
  trials: ({ quick, seeds }) => [
    {
      drill: 'double-start',
      label: `twice at once, then after the end, seed ${seeds[0]! + 400}`,
      seed: seeds[0]! + 400,
      base: seeds[0]!,
      run: (lab, log) => {
        const rng = seededRandom(seeds[0]! + 400);
        return runWorld(lab, rng, log, {
          ...sizes(quick),
          expect: 'completed',
          async start(ctx) {
            // world-service may re-send a start (a retried RPC, a second click): both arrive together.
            const results = await Promise.allSettled([lab.startWorld(ctx.input), lab.startWorld(ctx.input)]);
            const started = results.filter((r) => r.status === 'fulfilled').length;
            for (const r of results) if (r.status === 'rejected' && (r.reason as Error).name !== 'WorkflowExecutionAlreadyStartedError') ctx.problem(`a start failed: ${firstLine(r.reason)}`);
            if (started === 0) ctx.problem('neither start was accepted');
            log(`concurrent starts: ${results.map((r) => (r.status === 'fulfilled' ? 'started' : (r.reason as Error).name)).join(', ')}`);
          },
          async during(ctx) {
            // And once more while it runs.
            await Bun.sleep(rng.int(500, 3_000));
            if (ctx.done()) return;
            await lab.startWorld(ctx.input).then(
              () => log('start while running: accepted'),
              (err: Error) => {
                if (err.name !== 'WorkflowExecutionAlreadyStartedError') ctx.problem(`a start while running failed: ${firstLine(err)}`);
                else log('start while running: already started');
              },
            );
          },
          async after(ctx) {
            const statusOf = () => lab.db.collection('world_generation_status').findOne({ _id: ctx.worldId as never });
            const before = JSON.stringify(await statusOf());
            const eventsBefore = lab.events();
            const orchestrator = await lab.client.workflow.getHandle(lab.orchestratorId(ctx.worldId)).describe();
            const root = await lab.startWorld(ctx.input);
            const answer = await Promise.race([
              root.result().then(
                (r: unknown) => `returned ${JSON.stringify(r).slice(0, 200)}`,
                (err: Error) => `failed: ${firstLine(err.cause ?? err)}`,
              ),
              Bun.sleep(60_000).then(() => {
                ctx.problem('the late start\'s root did not return within 60 s');
                return 'no answer';
              }),
            ]);
            log(`start after the end: root ${answer}`);
            await Bun.sleep(3_000);
            const after = JSON.stringify(await statusOf());
            if (after !== before) ctx.problem(`the late start changed the status document: ${diffKeys(before, after)}`);
            if (lab.events() !== eventsBefore) ctx.problem(`the late start made ${lab.events() - eventsBefore} provider/service request(s)`);
            const again = await lab.client.workflow.getHandle(lab.orchestratorId(ctx.worldId)).describe();
            if (again.runId !== orchestrator.runId) ctx.problem('the late start ran the world orchestrator again');
          },
        });
      },
    },
  ],
};

function diffKeys(before: string, after: string): string {
  const a = JSON.parse(before ?? 'null') ?? {};
  const b = JSON.parse(after ?? 'null') ?? {};
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).join(', ') || '(order only)';
}

export const DRILLS: readonly Drill[] = [
  killRandom,
  killOnEffect,
  restartDrill('mongo-restart', 'restartMongo', 'the MongoDB server'),
  restartDrill('temporal-restart', 'restartTemporal', 'the Temporal dev server'),
  providerStorm,
  serviceFaults,
  doubleStart,
];
