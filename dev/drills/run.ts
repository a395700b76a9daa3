/**
 * `bun run drill [--quick] [--seeds N] [--seed S] [--only name,…] [--list]`
 *
 * Starts its own local stack (Temporal state on disk, so the Temporal restart keeps the world), the stand-ins and a
 * real worker process, runs the drills one trial at a time, prints a summary table and exits 1 if any trial
 * failed. See dev/drills/README.md.
 */
import { parseArgs } from 'node:util';
import { DRILLS } from './drills';
import { startLab } from './lab';
import { failureDetails, runTrials, selectTrials, summaryTable } from './runner';

const USAGE = 'usage: bun run drill [--quick] [--seeds N] [--seed S] [--only name,…] [--list]';

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 1) fail(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      seed: { type: 'string' },
      only: { type: 'string' },
      list: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  }));
} catch (err) {
  fail((err as Error).message);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
if (values.list) {
  for (const d of DRILLS) process.stdout.write(`${d.name.padEnd(18)} ${d.summary}\n`);
  process.exit(0);
}

const quick = values.quick;
const seedCount = positiveInt('seeds', values.seeds, quick ? 1 : 5);
// Seeds: given, or drawn now and printed, so any run can be repeated exactly.
const firstSeed = positiveInt('seed', values.seed, 1 + Math.floor(Math.random() * 1_000_000));
const seeds = Array.from({ length: seedCount }, (_, i) => firstSeed + i);
const only = values.only ? values.only.split(',').map((s) => s.trim()).filter(Boolean) : [];
let trials;
try {
  trials = selectTrials({ quick, seeds, only });
} catch (err) {
  fail((err as Error).message);
}

const log = (line: string) => process.stdout.write(`${line}\n`);
log(`drills${quick ? ' (quick)' : ''}: ${trials.length} trial(s), seeds ${seeds.join(', ')} (repeat with --seed ${firstSeed} --seeds ${seedCount})`);
const started = Date.now();
const lab = await startLab({ log: (line) => log(`[lab] ${line}`) });
let results;
try {
  log(`[lab] worker logs in ${lab.logDir}`);
  results = await runTrials(lab, trials, log);
} finally {
  await lab.close();
}

log('');
log(summaryTable(results));
log(`total ${((Date.now() - started) / 1000).toFixed(0)} s, seed ${firstSeed}, worker logs ${lab.logDir}`);
const failures = failureDetails(results);
if (failures) {
  log('');
  log('failures:');
  log(failures);
  process.exitCode = 1;
}
