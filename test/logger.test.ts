import { describe, expect, test } from 'bun:test';
import { createLogger } from '../src/logger';

describe('logger', () => {
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
    expect(line).toMatchObject({ level: 'warn', message: 'upload failed', attempt: 2 });
    expect(line.error).toBe('Request timed out: PUT http://minio:9000/b/h.png?[redacted]');
    expect(line.mongo).toBe('mongodb://db:27017/x');
    expect(lines[0]).not.toContain('abcdef0123456789');
    expect(lines[0]).not.toContain('s3cret-pass');
  });
});
