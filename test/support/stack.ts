/**
 * The shared local stack for integration tests: started lazily by the first getStack() call of a `bun test`
 * run and stopped by the global afterAll in ./preload.ts. Unit tests that never call getStack() start nothing.
 */
import { startStack, type Stack } from '../../dev/stack';

export type { Stack } from '../../dev/stack';

/** Per-test timeout for tests that call getStack(): covers a cold start and, on a fresh machine, tool builds. */
export const STACK_TIMEOUT_MS = 10 * 60_000;

/** Per-test timeout for tests that only talk to an already started stack. */
export const INTEGRATION_TIMEOUT_MS = 120_000;

const KEY = Symbol.for('generia.test.sharedStack');
type Holder = { [KEY]?: Promise<Stack> };
const holder = globalThis as Holder;

/** The shared stack (MONGODB_URI / TEMPORAL_ADDRESS from the environment are honoured). Started once per run. */
export function getStack(): Promise<Stack> {
  holder[KEY] ??= startStack({ log: (line) => process.stderr.write(`[stack] ${line}\n`) });
  return holder[KEY];
}

/** Stops the shared stack if it was started. Called from the preload's afterAll. */
export async function stopSharedStack(): Promise<void> {
  const pending = holder[KEY];
  if (pending === undefined) return;
  delete holder[KEY];
  let stack: Stack;
  try {
    stack = await pending;
  } catch {
    return; // it never started; startStack already cleaned up
  }
  await stack.stop();
}
