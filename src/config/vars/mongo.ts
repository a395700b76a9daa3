/** The MongoDB database world-service reads. */
import { redactUri } from '../redact';
import { defineSection, envVar } from '../define';
import { integer, mongoUri, text } from '../schemas';
import { MAX_CONCURRENT_DB_OPERATIONS } from './worker';

export const MONGODB_URI = envVar({
  name: 'MONGODB_URI',
  schema: mongoUri(),
  default: 'mongodb://localhost:27017',
  redact: redactUri,
  doc: "MongoDB connection string; no credentials baked in (the original's default had some). Logged with its password hidden.",
  expected: 'a mongodb:// or mongodb+srv:// URI',
});
const MONGODB_MAX_POOL_SIZE = envVar({
  name: 'MONGODB_MAX_POOL_SIZE',
  schema: integer(1, 1000),
  doc:
    'Connection pool size. As the original: the progress queue runs up to MAX_CONCURRENT_DB_OPERATIONS activities at once and the other queues also write task and audit records, so twice that keeps progress writes from queueing behind audit writes while bounding connections.',
  expected: 'an integer 1..1000',
  defaultText: '2 × MAX_CONCURRENT_DB_OPERATIONS (40)',
});
const MONGODB_MIN_POOL_SIZE = envVar({
  name: 'MONGODB_MIN_POOL_SIZE',
  schema: integer(0, 1000),
  doc: 'Warm connections kept open, so the first progress writes after an idle period do not pay connection set-up.',
  expected: 'an integer 0..1000, not above MONGODB_MAX_POOL_SIZE',
  defaultText: 'min(10, maxPoolSize)',
});

export default defineSection({
  key: 'mongo',
  title: 'MongoDB',
  vars: {
    uri: MONGODB_URI,
    database: envVar({
      name: 'MONGODB_DATABASE',
      schema: text(),
      default: 'generia_ai_worker',
      doc: 'Database name; world-service hard-codes `generia_ai_worker` (spec 6).',
      expected: 'a database name',
    }),
    maxPoolSize: MONGODB_MAX_POOL_SIZE,
    minPoolSize: MONGODB_MIN_POOL_SIZE,
  },
  derive: (e, lookup) => {
    const maxPoolSize = e.maxPoolSize ?? 2 * lookup(MAX_CONCURRENT_DB_OPERATIONS);
    return { uri: e.uri, database: e.database, maxPoolSize, minPoolSize: e.minPoolSize ?? Math.min(10, maxPoolSize) };
  },
  check: (e, lookup) =>
    e.minPoolSize !== undefined && e.minPoolSize > (e.maxPoolSize ?? 2 * lookup(MAX_CONCURRENT_DB_OPERATIONS))
      ? [{ variable: MONGODB_MIN_POOL_SIZE, problem: `${e.minPoolSize} is above the maximum pool size` }]
      : [],
});
