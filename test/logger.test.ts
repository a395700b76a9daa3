import { describe, expect, test } from 'bun:test';
import { createLogger } from '../src/logger';
import { withActivityScope } from '../src/observability/activity-scope';
import { createServiceLogger } from '../src/observability/logger';

describe('logger', () => {
  // The worker's second-signal exit (src/worker/main.ts): the reason must stay the last line although the SDK goes on
  // logging its drain while the flush is awaited (CI saw another line land after it before `last` existed).
  test('last(): the line is written and every later line, children included, is dropped', async () => {
    const lines: string[] = [];
    const log = createServiceLogger({ level: 'info', write: (l) => lines.push(l) });
    const child = log.pino.child({ component: 'sdk' });
    log.info('before');
    await log.last('warn', 'second signal: exiting now', { signal: 'SIGTERM' });
    log.info('after');
    child.warn('Worker state changed');
    log.error('an activity failed');
    expect(lines.map((l) => JSON.parse(l).message)).toEqual(['before', 'second signal: exiting now']);
    expect(JSON.parse(lines[1]!)).toMatchObject({ level: 'warn', signal: 'SIGTERM' });
  });

  test('every line is redacted: a caller that logs an error message cannot leak a presigned URL or a password', () => {
    const lines: string[] = [];
    const log = createLogger('debug', (l) => lines.push(l));
    log.warn('upload failed', {
      error: 'Request timed out: PUT http://minio:9000/b/h.png?X-Amz-Signature=abcdef0123456789&X-Amz-Date=1',
      mongo: 'mongodb://root:s3cret-pass@db:27017/x',
      attempt: 2,
    });
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({ level: 'warn', message: 'upload failed', attempt: 2, service: 'ai-worker' });
    expect(typeof line.time).toBe('string');
    expect(line.error).toBe('Request timed out: PUT http://minio:9000/b/h.png?[redacted]');
    expect(line.mongo).toBe('mongodb://db:27017/x');
    expect(lines[0]).not.toContain('abcdef0123456789');
    expect(lines[0]).not.toContain('s3cret-pass');
  });

  // Before: only the text scrub ran; it knows credential-shaped names (apiKey, authorization) but no paths a deployment adds.
  test('credential fields are censored by path wherever a caller nests them, and configured paths are added', () => {
    const lines: string[] = [];
    const log = createServiceLogger({ level: 'info', write: (l) => lines.push(l), redactPaths: ['request.body.secretPhrase'] });
    log.info('calling provider', {
      options: { apiKey: 'sk-or-live-1234567890' },
      headers: { authorization: 'Bearer rw-live-abcdef' },
      request: { body: { secretPhrase: 'open sesame', model: 'm' } },
    });
    const line = JSON.parse(lines[0]!);
    expect(line.options.apiKey).toBe('[redacted]');
    expect(line.headers.authorization).toBe('[redacted]');
    expect(line.request.body).toEqual({ secretPhrase: '[redacted]', model: 'm' });
    expect(lines[0]).not.toContain('sk-or-live');
    expect(lines[0]).not.toContain('rw-live');
    expect(lines[0]).not.toContain('open sesame');
  });

  test('lines written inside an activity carry its world, workflow and attempt; lines outside do not', () => {
    const lines: string[] = [];
    const log = createLogger('info', (l) => lines.push(l));
    withActivityScope({ world_id: 'w-1', task_id: 'w-1:character:0', workflow_id: 'generate-character-w-1:character:0', run_id: 'r', activity_type: 'createCharacter', attempt: 2 }, () =>
      log.info('character created'),
    );
    log.info('worker ready');
    const [inside, outside] = lines.map((l) => JSON.parse(l));
    expect(inside).toMatchObject({ world_id: 'w-1', task_id: 'w-1:character:0', workflow_id: 'generate-character-w-1:character:0', run_id: 'r', activity_type: 'createCharacter', attempt: 2 });
    expect(outside).not.toHaveProperty('world_id');
    // A field the caller passes wins over the scope's.
    withActivityScope({ world_id: 'w-1', activity_type: 'a', attempt: 1 }, () => log.info('x', { attempt: 7 }));
    expect(JSON.parse(lines[2]!)).toMatchObject({ attempt: 7 });
  });

  test('a level that is off writes nothing', () => {
    const lines: string[] = [];
    const log = createLogger('warn', (l) => lines.push(l));
    log.debug('d');
    log.info('i');
    log.error('e');
    expect(lines.map((l) => JSON.parse(l).level)).toEqual(['error']);
  });
});
