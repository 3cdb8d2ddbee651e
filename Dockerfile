# syntax=docker/dockerfile:1
# onramp's container image (docs/OPERATIONS.md). Three stages: the build with every dependency, the
# production dependencies alone, and the runtime, which holds those, the compiled server and the built
# portal, and runs as the unprivileged `node` user.
ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Scripts off: the root's `prepare` (the build) needs the sources, copied next; esbuild's own check runs after.
RUN npm ci --ignore-scripts && npm rebuild esbuild
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY portal ./portal
COPY addin ./addin
RUN npm run build

FROM ${NODE_IMAGE} AS deps
# better-sqlite3 downloads a prebuilt binary and compiles itself when it cannot; the compilers stay in this stage.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# `prepare` builds with dev tools this stage does not install; the runtime gets the build's output instead.
RUN npm pkg delete scripts.prepare \
 && npm ci --omit=dev \
 && npm cache clean --force

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    ONRAMP_DATA_DIR=/var/lib/onramp \
    ONRAMP_PUBLIC_HOST=0.0.0.0 \
    ONRAMP_PUBLIC_PORT=8080 \
    ONRAMP_DEVICE_HOST=0.0.0.0 \
    ONRAMP_DEVICE_PORT=8443
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/portal/dist ./portal/dist
COPY --from=build /app/addin/dist ./addin/dist
COPY package.json ./
RUN mkdir -p /var/lib/onramp && chown node:node /var/lib/onramp
USER node
# The embedded SQLite database, the dev PKI and other local state (unused with PostgreSQL, except the PKI).
VOLUME ["/var/lib/onramp"]
# Public listener (portal, links in emails), device listener (mTLS), metrics listener when
# ONRAMP_METRICS_PORT=9464 and ONRAMP_METRICS_HOST=0.0.0.0 are set (off by default).
EXPOSE 8080 8443 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.ONRAMP_PUBLIC_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["serve"]
