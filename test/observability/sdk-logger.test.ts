import { describe, expect, test } from 'bun:test';
import { createServiceLogger } from '../../src/observability/logger';
import { SdkLogger } from '../../src/observability/sdk-logger';

const WORLD = '0b7e6a52-3c1d-4e8f-9a2b-5c6d7e8f9a0b';

function capture(level: 'debug' | 'info' | 'warn' = 'info') {
  const lines: string[] = [];
  const log = createServiceLogger({ level, write: (l) => lines.push(l) });
  return { lines, log, parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('SDK logs through our logger', () => {
  // Before: the SDK's DefaultLogger printed `time [LEVEL] message { …multi-line meta… }` with camelCase ids.
  test('workflow metadata becomes our snake_case fields, with the world id taken from the workflow id', () => {
    const { log, parsed } = capture();
    const sdk = new SdkLogger(log.pino.child({ component: 'temporal' }));
    sdk.info('Workflow started', {
      sdkComponent: 'workflow',
      workflowId: `generate-character-${WORLD}:character:3`,
      runId: 'run-1',
      workflowType: 'GenerateCharacterWorkflow',
      taskQueue: 'ai-worker-main',
      namespace: 'default',
    });
    expect(parsed()).toEqual([
      expect.objectContaining({
        level: 'info',
        message: 'Workflow started',
        component: 'temporal',
        sdk_component: 'workflow',
        workflow_id: `generate-character-${WORLD}:character:3`,
        run_id: 'run-1',
        workflow_type: 'GenerateCharacterWorkflow',
        task_queue: 'ai-worker-main',
        world_id: WORLD,
      }),
    ]);
  });

  test('activity failures carry type, attempt and the first message line, never a stack', () => {
    const { log, lines, parsed } = capture();
    const sdk = new SdkLogger(log.pino);
    const err = new Error('provider said 503\n    at fetch (llm-client.ts:10)');
    err.name = 'ProviderHttpError';
    sdk.warn('Activity failed', { activityType: 'runLlmStep', attempt: 3, workflowId: `init-world-${WORLD}`, workflowRunId: 'r', error: err, durationMs: 12 });
    expect(parsed()[0]).toMatchObject({
      level: 'warn',
      activity_type: 'runLlmStep',
      attempt: 3,
      run_id: 'r',
      world_id: WORLD,
      error_type: 'ProviderHttpError',
      error: 'provider said 503',
      duration_ms: 12,
    });
    expect(lines[0]).not.toContain('llm-client.ts');
    expect(lines[0]).not.toContain('stack');
  });

  test('repeated identical activity failures are summarised: the first is logged, the rest counted', () => {
    const { log, parsed } = capture();
    let now = 0;
    const sdk = new SdkLogger(log.pino, { failureWindowMs: 60_000, now: () => now });
    const fail = () => sdk.warn('Activity failed', { activityType: 'runLlmStep', attempt: 1, error: new Error('connect ECONNREFUSED 127.0.0.1:1') });
    for (let i = 0; i < 25; i++) {
      fail();
      now += 1_000;
    }
    sdk.warn('Activity failed', { activityType: 'renderImage', attempt: 1, error: new Error('other') }); // another kind: logged
    expect(parsed().map((l) => l.message)).toEqual(['Activity failed', 'Activity failed']);
    now = 61_000;
    fail(); // after the window: the summary of the 24 held back, then this one
    const out = parsed();
    expect(out[2]).toMatchObject({ message: 'activity failures repeated', activity_type: 'runLlmStep', repeated: 24, error: 'connect ECONNREFUSED 127.0.0.1:1' });
    expect(out[3]).toMatchObject({ message: 'Activity failed', activity_type: 'runLlmStep' });
    fail();
    sdk.flush();
    expect(parsed().at(-1)).toMatchObject({ message: 'activity failures repeated', repeated: 1 });
  });

  test('the level applies to SDK lines too; core lines keep their target', () => {
    const { log, parsed } = capture('warn');
    const sdk = new SdkLogger(log.pino);
    sdk.debug('Activity started', { activityType: 'x' });
    sdk.info('Worker state changed', { state: 'RUNNING' });
    sdk.log('WARN', 'poll error', { sdkComponent: 'core', target: 'temporal_sdk_core::pollers', spanContexts: ['a', 'b'] });
    expect(parsed()).toEqual([expect.objectContaining({ level: 'warn', message: 'poll error', sdk_component: 'core', target: 'temporal_sdk_core::pollers' })]);
    expect(parsed()[0]).not.toHaveProperty('spanContexts');
  });
});
