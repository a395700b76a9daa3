# syntax=docker/dockerfile:1

# Generia AI Worker image. The worker runs on Node 24 (Temporal workers are not supported on Bun); Bun is only the
# package manager and build tool. Base is Debian slim, not Alpine: Temporal's native core bridge needs glibc.
# Bun comes from npm (same pin as .ci/run), so every stage is the same Node/glibc base.
#
# Base image pinned by exact version: 24.21.0 is the Node the project pins in node_modules (`node` devDependency),
# so tests and the image run the same runtime. For a byte-for-byte reproducible build also pin the digest, e.g.
#   docker buildx imagetools inspect node:24.21.0-bookworm-slim --format '{{json .Manifest.Digest}}'
# and build with --build-arg NODE_IMAGE=node:24.21.0-bookworm-slim@sha256:<digest>. (No digest is written here:
# it was not resolvable from the machine this file was written on, and an unverified digest is worse than none.)

ARG NODE_IMAGE=node:24.21.0-bookworm-slim
ARG BUN_VERSION=1.4.5

# --- bun on top of node ---------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS bun
ARG BUN_VERSION
RUN npm install --global --no-audit --no-fund "bun@${BUN_VERSION}" && bun --version
WORKDIR /app

# --- production dependencies only ---------------------------------------------------------------------------------
FROM bun AS prod-deps
COPY package.json bun.lock ./
RUN bun install --production --frozen-lockfile

# --- build: dist/worker.js + dist/workflow-bundle.js --------------------------------------------------------------
FROM bun AS build
COPY package.json bun.lock ./
RUN bun install --frozen-lockfile
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
RUN bun run build

# --- runtime -------------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production
# Health server on by default in containers: GET /healthz (liveness), /readyz (readiness), /metrics (Prometheus).
ENV HEALTH_PORT=8080
WORKDIR /app
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
EXPOSE 8080
# Liveness for plain Docker / compose (Kubernetes uses its own probes, see deploy/k8s). The slim image has no curl;
# Node's fetch does the request. /healthz stays 200 while draining, so a draining worker is not killed early.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.HEALTH_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM starts the drain (in-flight activities finish within SHUTDOWN_GRACE_MS); a second signal exits at once.
# Give the container longer than that before SIGKILL (compose stop_grace_period, k8s terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM
# How the process starts is src/worker/process-flags.ts (test/config/deploy.test.ts checks this file agrees), the same
# as the bench and the tests start it: two malloc arenas shared by every thread instead of one per thread (less native
# memory kept after a burst of worlds; docs/performance-memory.md has the figures).
ENV MALLOC_ARENA_MAX=2
# Configuration (TEMPORAL_ADDRESS, MONGODB_URI, API keys, …) comes from the environment at run time; no .env is
# copied (see .dockerignore). A bad configuration exits 78 with every problem listed, before anything connects.
CMD ["node", "dist/worker.js"]
