/**
 * Nothing secret in failures, end to end: every presigned upload of a world times out (the object store
 * accepts the connection and never answers), so ky's TimeoutError — whose message quotes the URL with
 * its signature — is raised on every attempt until the steps give up. The signatures, and the API keys
 * the worker was given, must then appear nowhere: not in any history (payloads, failure messages, stack
 * traces, the last failure of retried attempts), not in the worker's logs, not in `tasks`, the status
 * document or `api_requests_history`.
 *
 * The presign results themselves are kept in `side_effects` until their upload is confirmed (a retry must reuse
 * the media row the service created) — here no upload ever is, so that collection is the one place a live URL is
 * stored and it is not scanned; the happy-path e2e test checks the URL is dropped after confirmation.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { randomUUID } from 'node:crypto';
import { fetchHistories, findSecrets, measurePayloads, worldRecordsText, worldWorkflowIds } from '../support/histories';
import { STACK_TIMEOUT_MS } from '../support/stack';
import { startWorldHarness, TEST_SECRETS, type WorldHarness } from '../support/world-harness';

let h: WorldHarness;

beforeAll(async () => {
  // The shortest upload timeout the configuration allows, so five attempts per image take seconds.
  h = await startWorldHarness({ env: { IMAGE_HTTP_TIMEOUT_MS: '1000' } });
}, STACK_TIMEOUT_MS);

afterAll(async () => {
  await h?.stop();
}, 60_000);

describe('a world whose presigned uploads all time out', () => {
  test(
    'fails truthfully, and no signature or key appears in histories, logs, tasks, status or audit rows',
    async () => {
      h.services.setLatency('Upload', 2_500);
      const worldId = randomUUID();
      await h.startWorld({
        world_id: worldId,
        world_name: 'Signed Harbour',
        world_prompt: 'A harbour where every shipment is sealed with a signature.',
        characters_count: 1,
        posts_count: 1,
      });
      const status = await h.waitForWorld(worldId, 240_000);
      h.services.setLatency('Upload', 0);

      // The uploads really were tried with their signed URLs, and really failed.
      const media = [...h.services.state.media.values()].filter((m) => m.worldId === worldId);
      expect(media.length).toBeGreaterThanOrEqual(3); // header, icon, avatar (and the post's image if it got that far)
      expect(media.every((m) => !m.confirmed)).toBe(true);
      expect(h.services.calls.filter((c) => c.method === 'Upload').length).toBeGreaterThanOrEqual(media.length * 2);
      expect(status.status).toBe('failed');
      expect(JSON.stringify(status.stages)).toMatch(/timed out/);

      const histories = await fetchHistories(h.client, await worldWorkflowIds(h.db, worldId));
      const report = measurePayloads(histories);
      const records = await worldRecordsText(h.db, worldId);
      // The scan covers the failures: ky's timeout reached the history (message and stack) and the task records.
      expect(report.failureText).toContain('timed out');
      expect(report.failureText).toMatch(/TimeoutError/);
      expect(records.tasks).toMatch(/timed out/);
      expect(h.output()).toContain('Activity failed');

      const secrets: Record<string, string> = { ...TEST_SECRETS };
      for (const m of media) secrets[`upload signature of ${m.mediaType}/${m.mediaId}`] = m.uploadToken;
      expect(
        findSecrets(secrets, {
          histories: report.text,
          'worker logs': h.output(),
          'world_generation_status': records.status,
          tasks: records.tasks,
          api_requests_history: records.audit,
          'world_parameters and status_ledger': records.other,
        }),
      ).toEqual([]);
      // The redacted URL is still there to say where it failed.
      expect(report.failureText).toContain(`${h.services.uploadBaseUrl}/upload/`);
    },
    300_000,
  );
});
