/**
 * Golden histories: every committed history of every earlier release (test/golden/histories/<release>/…, made by
 * test/golden/record.ts from that release's code) must replay against today's workflow code without
 * non-determinism. A workflow change that would break a world in flight during a deploy fails here; such a change
 * belongs behind `patched()` (see README, "Changing workflow code").
 */
import { expect, test } from 'bun:test';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { WORKFLOWS_ENTRY } from '../../scripts/build';

const ROOT = join(import.meta.dirname, 'histories');

const WORKFLOW_TYPES = [
  'InitWorldCreationWorkflow',
  'GenerateWorldDescriptionWorkflow',
  'GenerateWorldImageWorkflow',
  'GenerateCharacterBatchWorkflow',
  'GenerateCharacterWorkflow',
  'GenerateCharacterAvatarWorkflow',
  'GeneratePostBatchWorkflow',
  'GeneratePostWorkflow',
  'GeneratePostImageWorkflow',
];

/** Workflow types no longer started after the given release. */
// Types a release no longer starts (each stays registered for the histories of the releases that did): since v0.4.0 a
// character runs its avatar and posts, and a post batch its posts, in its own history (posts beyond the inline cap
// would still be children, but a batch never holds more).
const RETIRED_AFTER: Record<string, string> = { GeneratePostImageWorkflow: 'v0.2.0', GeneratePostWorkflow: 'v0.3.0', GenerateCharacterAvatarWorkflow: 'v0.3.0' };

function compareReleases(a: string, b: string): number {
  const parts = (r: string) => r.slice(1).split('.').map(Number);
  const [pa, pb] = [parts(a), parts(b)];
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

function goldenFiles(): string[] {
  return readdirSync(ROOT, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(ROOT, f))
    .sort();
}

test(
  'every golden history of every release replays against the current workflow code',
  async () => {
    const files = goldenFiles();
    const releases = new Set(files.map((f) => relative(ROOT, f).split('/')[0]));
    expect(releases.size).toBeGreaterThan(0);
    // Every workflow type a release starts is covered by its set (RETIRED_AFTER: the types later releases no longer start).
    for (const release of releases) {
      const types = new Set(files.filter((f) => relative(ROOT, f).startsWith(`${release}/`)).map((f) => f.replace(/^.*\d{3}-(\w+)\.json$/, '$1')));
      for (const type of WORKFLOW_TYPES) {
        const retiredAfter = RETIRED_AFTER[type];
        if (retiredAfter !== undefined && compareReleases(release!, retiredAfter) > 0) continue;
        expect({ release, type, covered: types.has(type) }).toEqual({ release, type, covered: true });
      }
    }

    const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_ENTRY, logger: new DefaultLogger('WARN') });
    async function* histories() {
      for (const file of files) yield { workflowId: relative(ROOT, file), history: historyFromJSON(JSON.parse(readFileSync(file, 'utf8'))) };
    }
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: { code } }, histories())) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message.split('\n')[0]}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length);
  },
  300_000,
);
