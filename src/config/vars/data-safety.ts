/** Data safety: content checks of generated images, encrypted Temporal payloads, retention of per-world records. */
import * as v from 'valibot';

import { parseCodecKeys } from '../../codec/codec-keys';
import { AesGcmPayloadCodec } from '../../codec/encryption-codec';
import { defineSection, envVar } from '../define';
import { boolean, BOOLEAN_EXPECTED, integer, text } from '../schemas';

/** Valid when the keys parse and make a codec; the message never shows the value (the variable is secret too). */
const codecKeys = () =>
  v.pipe(
    text(),
    v.rawCheck(({ dataset, addIssue }) => {
      if (!dataset.typed) return;
      try {
        new AesGcmPayloadCodec(parseCodecKeys(dataset.value));
      } catch (err) {
        addIssue({ message: err instanceof Error ? err.message : 'invalid keys' });
      }
    }),
  );

export default defineSection({
  key: 'dataSafety',
  title: 'Data safety',
  vars: {
    contentSafety: envVar({
      name: 'IMAGE_CONTENT_SAFETY',
      schema: boolean(),
      default: 'true',
      doc: "Ask Runware's own safety check about every render; a flagged image is rendered once more with a safer prompt (both paid) and, if flagged again, fails without being uploaded.",
      expected: BOOLEAN_EXPECTED,
    }),
    payloadCodecKeys: envVar({
      name: 'PAYLOAD_CODEC_KEYS',
      schema: codecKeys(),
      secret: true,
      doc: 'Encrypts every Temporal payload (AES-256-GCM) when set: a comma-separated list of ID:KEY (KEY = base64 of 32 random bytes), oldest first; the last encrypts, all decrypt (rotation: append a key). Every client and the codec server need the same list. Unset: payloads are plaintext.',
      expected: 'ID:KEY[,ID:KEY…] with KEY from openssl rand -base64 32',
    }),
    retentionAfterSettledSeconds: envVar({
      name: 'RETENTION_AFTER_SETTLED_SECONDS',
      schema: integer(0, 10 * 365 * 86_400),
      default: String(30 * 86_400),
      doc: "How long a settled world's ledger entries, side-effect records, provider calls, tasks and audit rows are kept (MongoDB TTL on expires_at). 30 days: long enough to investigate a world after the fact. 0 keeps them for ever. The status document and world parameters are always kept.",
      expected: 'an integer 0..315360000 (seconds)',
    }),
    retentionSweepIntervalMs: envVar({
      name: 'RETENTION_SWEEP_INTERVAL_MS',
      schema: integer(1_000, 86_400_000),
      default: '600000',
      doc: 'FerretDB only (it has no TTL deletion): how often the worker deletes expired records itself. Ten minutes: expiry is not urgent and each sweep scans the collections.',
      expected: 'an integer 1000..86400000 (milliseconds)',
    }),
  },
});
