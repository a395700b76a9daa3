import { describe, expect, test } from 'bun:test';
import { redactText, redactUrl, secretsOfUrl } from '../../src/domain/redact';

const SIG = 'f3a9c1d2e4b5a6978877665544332211ffeeddccbbaa';
const PRESIGNED =
  `https://minio.internal:9000/generia-media/worlds/w1/header.png?X-Amz-Algorithm=AWS4-HMAC-SHA256` +
  `&X-Amz-Credential=AKIAEXAMPLE%2F20261201%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261201T120000Z` +
  `&X-Amz-Expires=900&X-Amz-SignedHeaders=host&X-Amz-Signature=${SIG}`;

describe('redactUrl', () => {
  test('keeps scheme, host, port and path; drops query, fragment and user-info', () => {
    expect(redactUrl(PRESIGNED)).toBe('https://minio.internal:9000/generia-media/worlds/w1/header.png?[redacted]');
    expect(redactUrl('mongodb://root:hunter2secret@db-1:27017,db-2/generia?authSource=admin')).toBe(
      'mongodb://db-1:27017,db-2/generia?[redacted]',
    );
    expect(redactUrl('https://cdn.example/img.png#access_token=abcdef123456')).toBe('https://cdn.example/img.png');
    expect(redactUrl('http://127.0.0.1:4000/upload/m1')).toBe('http://127.0.0.1:4000/upload/m1');
  });
});

describe('redactText', () => {
  test("masks the URL in ky's own messages", () => {
    const text = redactText(`Request timed out: PUT ${PRESIGNED}`);
    expect(text).toBe('Request timed out: PUT https://minio.internal:9000/generia-media/worlds/w1/header.png?[redacted]');
    expect(redactText(`TimeoutError: Request timed out: PUT ${PRESIGNED}\n    at Timeout._onTimeout (file:///app/dist/worker.js:10:5)`)).toBe(
      'TimeoutError: Request timed out: PUT https://minio.internal:9000/generia-media/worlds/w1/header.png?[redacted]\n' +
        '    at Timeout._onTimeout (file:///app/dist/worker.js:10:5)',
    );
  });

  test('masks what object stores echo in error bodies', () => {
    const s3 =
      `<?xml version="1.0"?><Error><Code>SignatureDoesNotMatch</Code><SignatureProvided>${SIG}</SignatureProvided>` +
      `<StringToSign>AWS4-HMAC-SHA256\n20261201T120000Z</StringToSign><CanonicalRequest>PUT\n/generia-media/h.png\n` +
      `X-Amz-Credential=AKIAEXAMPLE&amp;X-Amz-Signature=${SIG}</CanonicalRequest></Error>`;
    const text = redactText(s3);
    expect(text).not.toContain(SIG);
    expect(text).toContain('<Code>SignatureDoesNotMatch</Code>');
    expect(text).toContain('<SignatureProvided>[redacted]</SignatureProvided>');
    // A canonical query string without its "?".
    expect(redactText(`X-Amz-Date=20261201T120000Z&X-Amz-Signature=${SIG}&sig=abcdefgh`)).toBe(
      'X-Amz-Date=20261201T120000Z&X-Amz-Signature=[redacted]&sig=[redacted]',
    );
  });

  test('masks JSON credential fields and Bearer values, keeps ordinary numbers and words', () => {
    expect(redactText('[{"taskType":"authentication","apiKey":"rw-test-1a2b3c4d5e6f"}]')).toBe(
      '[{"taskType":"authentication","apiKey":"[redacted]"}]',
    );
    expect(redactText('proxy said: Authorization: Bearer sk-or-abcdef123456')).toBe('proxy said: Authorization: Bearer [redacted]');
    const ordinary = 'max_tokens=4096 exceeds the limit; prompt_tokens: 12; "token_count": 3; design=flat';
    expect(redactText(ordinary)).toBe(ordinary);
  });

  test('replaces known secrets wherever they appear, and is idempotent', () => {
    expect(redactText('key sk-or-test-9f8e7d6c5b4a leaked', ['sk-or-test-9f8e7d6c5b4a', 'abc'])).toBe('key [redacted] leaked');
    const once = redactText(`PUT ${PRESIGNED}`);
    expect(redactText(once)).toBe(once);
  });
});

describe('secretsOfUrl', () => {
  test('returns the password and the long query values, raw and decoded', () => {
    const secrets = secretsOfUrl('https://user:pa55word@host/p?token=abcdefgh1234&n=1&cred=a%2Fbcdefg');
    expect(secrets).toEqual(['pa55word', 'abcdefgh1234', 'a%2Fbcdefg', 'a/bcdefg']);
    expect(secretsOfUrl('not a url')).toEqual([]);
  });
});
