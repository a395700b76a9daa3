/**
 * Every drill (`bun run drill` without --quick), in the slow tier: `GENERIA_SLOW_TESTS=1 bun test test/drills`.
 * Worker kills at random and at side effects, MongoDB and Temporal restarts, storms, service faults, double starts.
 * About 15–20 minutes on two cores. Seeds: GENERIA_DRILL_SEED (first seed), GENERIA_DRILL_SEEDS (how many).
 */
import { afterAll, beforeAll, describe, expect } from 'bun:test';
import { startLab, type Lab } from '../../dev/drills/lab';
import { selectTrials, summaryTable, type TrialResult } from '../../dev/drills/runner';
import { slowTest } from '../support/tiers';
import { STACK_TIMEOUT_MS } from '../support/stack';

const SEED = Number(process.env.GENERIA_DRILL_SEED ?? 1);
const COUNT = Number(process.env.GENERIA_DRILL_SEEDS ?? 5);
const trials = selectTrials({ quick: false, seeds: Array.from({ length: COUNT }, (_, i) => SEED + i) });

let lab: Lab | undefined;
const results: TrialResult[] = [];
const log = (line: string) => process.stderr.write(`[drill] ${line}\n`);

beforeAll(async () => {
  // Its own stack, not the shared one: the restart drills stop and start its servers.
  if (process.env.GENERIA_SLOW_TESTS === '1') lab = await startLab({ log });
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  if (results.length > 0) log(`\n${summaryTable(results)}`);
  await lab?.close();
}, 60_000);

describe(`all drills (seeds ${SEED}..${SEED + COUNT - 1})`, () => {
  for (const trial of trials) {
    slowTest(
      `${trial.drill}: ${trial.label} ends with the exact world`,
      async () => {
        // A failed trial may leave its worker wedged: the next one starts with a fresh worker.
        if (results.at(-1)?.report.pass === false) await lab!.replaceWorkers();
        const t0 = Date.now();
        const report = await trial.run(lab!, log);
        results.push({ drill: trial.drill, label: trial.label, seed: trial.seed, base: trial.base, report, ms: Date.now() - t0 });
        expect(report.mismatches).toEqual([]);
        expect(report.duplicates).toBe(0);
        // Completed with nothing missing — or, where the drill makes a creation unknowable, the truthful
        // "may have created" failure checkWorld accepts (report.pass encodes which).
        expect(report.lost).toBe(0);
        if (report.outcome !== 'completed') expect(report.outcome).toBe('failed');
        expect(report.pass).toBe(true);
      },
      7 * 60_000,
    );
  }
});
