/**
 * superviseRoles: one role's fatal error stops the others, waits for them to drain, and only then settles, so the
 * composition root closes MongoDB after the last in-flight activity, not under it.
 *
 * The SDK's Worker cannot run under Bun (Temporal workers are Node-only) and offers no way to make one role fail on
 * demand, so the roles here are minimal stand-ins with the SDK Worker's lifecycle: `run()` settles only after
 * `shutdown()` and the drain of what is in flight, or rejects on a fatal error; `getState()` reports RUNNING,
 * DRAINING, STOPPED or FAILED.
 */
import { expect, test } from 'bun:test';
import { createLogger } from '../../src/logger';
import { RoleFailedError, superviseRoles, type RoleWorker } from '../../src/worker/supervise';

class RoleStandIn implements RoleWorker {
  state = 'INITIALIZED';
  private stop!: () => void;
  private fail!: (err: Error) => void;
  constructor(private readonly drain: () => Promise<void> = async () => {}) {}
  run(): Promise<void> {
    this.state = 'RUNNING';
    return new Promise<void>((resolve, reject) => {
      this.stop = () => {
        this.state = 'DRAINING';
        void this.drain().then(() => {
          this.state = 'STOPPED';
          resolve();
        });
      };
      this.fail = (err) => {
        this.state = 'FAILED';
        reject(err);
      };
    });
  }
  shutdown(): void {
    if (this.state === 'RUNNING') this.stop();
  }
  getState(): string {
    return this.state;
  }
  crash(err: Error): void {
    this.fail(err);
  }
}

const silent = createLogger('error', () => {});

// Before this change the process awaited Promise.all over the roles' run(): the first rejection settled it at
// once and MongoDB was closed while the other roles were still running their activities.
test('a fatal error in one role drains every other role before the supervisor settles, then reports the role', async () => {
  const events: string[] = [];
  let releaseDrain!: () => void;
  const drained = new Promise<void>((r) => (releaseDrain = r));
  const llm = new RoleStandIn(async () => {
    events.push('llm draining');
    await drained; // an in-flight activity still writing to MongoDB
    events.push('llm drained');
  });
  const progress = new RoleStandIn(async () => {
    events.push('progress drained');
  });
  const images = new RoleStandIn();
  const supervised = superviseRoles(
    new Map([
      ['llm', llm],
      ['progress', progress],
      ['images', images],
    ]),
    silent,
  ).then(
    () => events.push('supervisor resolved'),
    (err: unknown) => {
      events.push('supervisor rejected');
      return err;
    },
  );

  images.crash(new Error('poller failed: transport error'));
  await Bun.sleep(50);
  expect(llm.getState()).toBe('DRAINING');
  expect(progress.getState()).toBe('STOPPED');
  expect(events).toEqual(['llm draining', 'progress drained']); // not settled: llm is still draining

  releaseDrain();
  const err = await supervised;
  expect(events).toEqual(['llm draining', 'progress drained', 'llm drained', 'supervisor rejected']);
  expect(err).toBeInstanceOf(RoleFailedError);
  expect((err as RoleFailedError).role).toBe('images');
  expect((err as Error).message).toBe('worker role "images" failed: poller failed: transport error');
});

test('a clean shutdown of every role resolves', async () => {
  const a = new RoleStandIn();
  const b = new RoleStandIn();
  const supervised = superviseRoles(
    new Map([
      ['main', a],
      ['services', b],
    ]),
    silent,
  );
  a.shutdown();
  b.shutdown();
  await supervised;
  expect([a.getState(), b.getState()]).toEqual(['STOPPED', 'STOPPED']);
});
