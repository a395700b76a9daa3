import { expect, test } from 'bun:test';
import { join } from 'node:path';
import { buildWorker } from '../../scripts/build';

test('build fails with a clear message when an entry file is missing', async () => {
  await expect(
    buildWorker({
      workerEntry: join(import.meta.dirname, 'fixtures/no-such-worker.ts'),
      workflowsEntry: join(import.meta.dirname, 'fixtures/workflows.ts'),
      outDir: join(import.meta.dirname, 'never-created'),
      log: () => {},
    }),
  ).rejects.toThrow('build: entry file(s) missing: test/smoke/fixtures/no-such-worker.ts');
});
