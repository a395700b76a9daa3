/**
 * Test tiers. `bun test` (what CI runs) is the quick set; the slow tier — the platform-default 25×150 world, the
 * long drills — runs with `GENERIA_SLOW_TESTS=1 bun test` (`bun run test:slow`). Slow tests are written with
 * `slowTest(...)` so the default run lists them as skipped instead of silently not having them.
 */
import { test } from 'bun:test';

export const SLOW_TESTS_ENABLED = process.env.GENERIA_SLOW_TESTS === '1';

/** `test` in the slow tier, `test.skip` in the default run. */
export const slowTest: typeof test = SLOW_TESTS_ENABLED ? test : (test.skip as typeof test);
