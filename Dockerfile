# tributary's production image: the compiled product (dist/), its schemas, and production dependencies only.
#   docker build -t tributary .
#   docker run --rm -e KAFKA_BROKERS=… -e SCHEMA_REGISTRY_URL=… -e BRAZE_REST_ENDPOINT=… -e BRAZE_API_KEY=… -p 9464:9464 tributary
# The default command is `run`; any other command works too (`… tributary config check --print`, `… tributary demo`).

# --- build: compile the sandbox package (the product imports it by name, for `demo` and `sandbox`) and the product.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sandbox/package.json packages/sandbox/
# Scripts stay off here: `prepare` builds from sources that are not copied yet; the build runs below.
RUN npm ci --ignore-scripts
COPY tsconfig.json tsconfig.build.json ./
COPY packages/sandbox/tsconfig.json packages/sandbox/tsconfig.build.json packages/sandbox/
COPY packages/sandbox/src packages/sandbox/src
COPY src src
RUN npm run build

# --- run: production dependencies and the build output, as the unprivileged `node` user.
FROM node:24-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
COPY packages/sandbox/package.json packages/sandbox/
# --ignore-scripts: `prepare` would try to rebuild with TypeScript, which is a dev dependency; dist/ comes from the build stage.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/packages/sandbox/dist packages/sandbox/dist
COPY --from=build /app/dist dist
COPY bin bin
COPY schemas schemas
USER node
# The metrics and health server (observability.port, TRIBUTARY_METRICS_PORT).
EXPOSE 9464
# Ready means consuming and delivering (/readyz 200); a Braze configuration error or a registry outage makes it 503.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.TRIBUTARY_METRICS_PORT || 9464) + '/readyz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Exec form: node is PID 1 and receives SIGTERM itself (graceful shutdown: flush, commit, leave the group).
ENTRYPOINT ["node", "bin/tributary.js"]
CMD ["run"]
