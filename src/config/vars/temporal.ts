/** How the worker reaches Temporal. */
import { defineSection, envVar } from '../define';
import { boolean, BOOLEAN_EXPECTED, text } from '../schemas';

export const TEMPORAL_ADDRESS = envVar({
  name: 'TEMPORAL_ADDRESS',
  schema: text(),
  doc: 'Temporal frontend address.',
  expected: 'host:port of the Temporal frontend',
  defaultText: 'TEMPORAL_HOST, else localhost:7233 (the dev server)',
  example: 'localhost:7233',
});
export const TEMPORAL_HOST = envVar({
  name: 'TEMPORAL_HOST',
  schema: text(),
  doc: "The platform's (and the original worker's) name for the frontend address; TEMPORAL_ADDRESS wins when both are set.",
  expected: 'host:port of the Temporal frontend (legacy name of TEMPORAL_ADDRESS)',
});

export default defineSection({
  key: 'temporal',
  title: 'Temporal',
  vars: {
    address: TEMPORAL_ADDRESS,
    host: TEMPORAL_HOST,
    namespace: envVar({
      name: 'TEMPORAL_NAMESPACE',
      schema: text(),
      default: 'default',
      doc: 'Temporal namespace; world-service starts the root workflow in `default` (spec 17).',
      expected: 'a Temporal namespace name',
    }),
    apiKey: envVar({
      name: 'TEMPORAL_API_KEY',
      schema: text(),
      secret: true,
      doc: 'Temporal Cloud API key; unset for a self-hosted cluster.',
      expected: 'a Temporal Cloud API key, or unset',
    }),
    tls: envVar({
      name: 'TEMPORAL_TLS',
      schema: boolean(),
      doc: 'Connect with TLS.',
      expected: BOOLEAN_EXPECTED,
      defaultText: 'true when TEMPORAL_API_KEY is set (Temporal Cloud requires TLS), else false',
    }),
  },
  derive: (e) => ({
    address: e.address ?? e.host ?? 'localhost:7233',
    namespace: e.namespace,
    apiKey: e.apiKey,
    tls: e.tls ?? e.apiKey !== undefined,
  }),
});
