/** The platform's gRPC services (Connect clients). */
import * as v from 'valibot';

import { defineSection, envVar } from '../define';
import { httpUrl, integer, show } from '../schemas';

/**
 * Start-to-close timeout of one services activity attempt: `serviceActivityOptions` in
 * src/workflows/activity-options.ts (config must not import workflow code; test/config/grpc-deadline.test.ts keeps
 * the two equal).
 */
export const SERVICES_ACTIVITY_TIMEOUT_MS = 60_000;
/**
 * Upper bound of `GRPC_DEADLINE_MS`. One attempt of a creation may wait for an earlier call to settle, read back
 * (one or more GetCharacterPosts pages) and create — each call bounded by the deadline — so a quarter of the
 * attempt's timeout keeps every call inside its attempt: Temporal never starts a retry while a call of the previous
 * attempt can still commit.
 */
export const MAX_GRPC_DEADLINE_MS = SERVICES_ACTIVITY_TIMEOUT_MS / 4;

const serviceUrl = (name: string, service: string, def: string) =>
  envVar({
    name,
    schema: httpUrl(),
    default: def,
    doc: `${service} address (deployment port, spec 13). With CONSUL_ADDRESS set, its host is the Consul service name.`,
    expected: 'an http(s) URL',
  });

export default defineSection({
  key: 'services',
  title: 'Platform services (gRPC)',
  // Read by gRPC libraries themselves (grpc-js, gRPC C-core, base images set some), not misspellings of ours.
  passThroughPrefixes: ['GRPC_TRACE', 'GRPC_VERBOSITY', 'GRPC_DEFAULT_SSL_ROOTS_FILE_PATH', 'GRPC_DNS_', 'GRPC_NODE_', 'GRPC_SSL_', 'GRPC_ENABLE_'],
  vars: {
    characterUrl: serviceUrl('CHARACTER_SERVICE_URL', 'character-service', 'http://character-service:8089'),
    postUrl: serviceUrl('POST_SERVICE_URL', 'post-service', 'http://post-service:8082'),
    mediaUrl: serviceUrl('MEDIA_SERVICE_URL', 'media-service', 'http://media-service:8083'),
    worldUrl: serviceUrl('WORLD_SERVICE_URL', 'world-service', 'http://world-service:8088'),
    consulAddress: envVar({
      name: 'CONSUL_ADDRESS',
      schema: v.pipe(
        v.string(),
        v.regex(/^(https?:\/\/)?[^\s/:]+(:\d+)?\/?$/i, (i) => `${show(i.input)} is not host:port or an http(s) URL`),
      ),
      doc:
        "Consul agent; when set, every service is resolved through Consul's health API (passing instances only) by the host of its *_SERVICE_URL, and re-resolved when a call cannot connect. The platform's compose file sets consul:8500 and no service URLs.",
      expected: 'host:port or an http(s) URL of a Consul agent, or unset',
      example: 'consul:8500',
    }),
    consulToken: envVar({
      name: 'CONSUL_HTTP_TOKEN',
      schema: v.string(),
      secret: true,
      doc: "Consul ACL token (Consul's own variable name), sent as X-Consul-Token; unset when ACLs are off.",
      expected: 'a Consul ACL token, or unset',
    }),
    deadlineMs: envVar({
      name: 'GRPC_DEADLINE_MS',
      schema: v.pipe(
        integer(100, 600_000),
        v.maxValue(
          MAX_GRPC_DEADLINE_MS,
          (i) =>
            `${show(i.input)} is not well below the services activity's ${SERVICES_ACTIVITY_TIMEOUT_MS} ms start-to-close timeout ` +
            `(at most ${MAX_GRPC_DEADLINE_MS}): a call could outlive its attempt and commit beside the retry`,
        ),
      ),
      default: '15000',
      doc: `Deadline of every gRPC call (the original had none, spec 15.14); at most ${MAX_GRPC_DEADLINE_MS}, a quarter of the services activity's timeout.`,
      expected: `an integer 100..${MAX_GRPC_DEADLINE_MS} (milliseconds): at most a quarter of the services activity's ${SERVICES_ACTIVITY_TIMEOUT_MS} ms start-to-close timeout`,
    }),
  },
});
