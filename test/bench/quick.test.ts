/**
 * `bun run bench --quick` inside `bun test` (so CI runs it): two 3×10 worlds at LLM 1,000 ms / image 500 ms and
 * short hop tests, every figure compared with test/bench/baseline.json (margins stated there and in
 * docs/benchmarks.md), every world checked for exactness. Fails on a regression beyond the margin, a figure the
 * run could not measure, or an inexact world.
 */
import { expect, test } from 'bun:test';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { parseArgs, report, runBench, writeResults } from './run';

test(
  'bench --quick: no figure regressed beyond its margin, every world exact',
  async () => {
    const lines: string[] = [];
    const r = await runBench(parseArgs(['--quick']), (l) => lines.push(l));
    const text = report(r);
    console.log(`${lines.join('\n')}\n\n${text}\n\nresults: ${writeResults(r)}`);
    expect(r.exactness).toEqual([]);
    expect(r.checks.filter((c) => c.verdict === 'regressed' || c.verdict === 'missing')).toEqual([]);
    expect(r.checks.length).toBeGreaterThan(0);
  },
  STACK_TIMEOUT_MS,
);
