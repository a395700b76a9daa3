# syntax=docker/dockerfile:1

# Generia AI Worker image. The worker runs on Node 24 (Temporal workers are not supported on Bun); Bun is only the
# package manager and build tool. Base is Debian slim, not Alpine: Temporal's native core bridge needs glibc.
# Bun comes from npm (same pin as .ci/run), so every stage is the same Node/glibc base.

ARG NODE_IMAGE=node:24-bookworm-slim
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
WORKDIR /app
COPY --from=prod-deps --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
COPY --chown=node:node package.json ./
USER node
# Configuration (TEMPORAL_ADDRESS, MONGODB_URI, API keys, …) comes from the environment at run time; no .env is
# copied (see .dockerignore).
CMD ["node", "dist/worker.js"]
