/**
 * The quick drills, in the default `bun test`: a provider storm, service responses lost after commit, and the same
 * world started twice at once and again after it finished — each against the real stack, the stand-ins and a real
 * Node worker, each ending with the exact-world check (dev/drills/world-check.ts). The kills and restarts take
 * about a minute each (Temporal waits for the dead worker's timeouts) and run in the slow tier
 * (test/drills/full.test.ts) and in `bun run drill`.
 *
 * Seeded: GENERIA_DRILL_SEED picks other fault positions (the default keeps CI reproducible).
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { startLab, type Lab } from '../../dev/drills/lab';
import { selectTrials } from '../../dev/drills/runner';
import { getStack, STACK_TIMEOUT_MS } from '../support/stack';

const SEED = Number(process.env.GENERIA_DRILL_SEED ?? 11);
const trials = selectTrials({ quick: true, seeds: [SEED], only: ['provider-storm', 'service-faults', 'double-start'] });

let lab: Lab;
let previousPassed = true;
const log = (line: string) => process.stderr.write(`[drill] ${line}\n`);

beforeAll(async () => {
  lab = await startLab({ stack: await getStack(), log });
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await lab?.close();
}, 60_000);

describe(`quick drills (seed ${SEED})`, () => {
  for (const trial of trials) {
    test(
      `${trial.drill}: ${trial.label} ends with the exact world`,
      async () => {
        // A failed trial may leave its worker wedged: the next one starts with a fresh worker.
        if (!previousPassed) await lab.replaceWorkers();
        previousPassed = false;
        const report = await trial.run(lab, log);
        previousPassed = report.pass;
        log(`${trial.drill}: ${report.outcome} — ${report.summary}`);
        expect(report.mismatches).toEqual([]);
        expect(report.duplicates).toBe(0);
        // Completed with nothing missing — or, where the drill makes a creation unknowable, the truthful
        // "may have created" failure checkWorld accepts (report.pass encodes which).
        expect(report.lost).toBe(0);
        if (report.outcome !== 'completed') expect(report.outcome).toBe('failed');
        expect(report.pass).toBe(true);
      },
      // A stuck world is detected by the trial's own 6-minute deadline.
      7 * 60_000,
    );
  }
});
