import { afterAll } from 'bun:test';
import { stopSharedStack } from './stack';

// Runs once, after every test file of this `bun test` run; a no-op unless some test called getStack().
afterAll(async () => {
  await stopSharedStack();
}, 30_000);
