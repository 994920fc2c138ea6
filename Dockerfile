# syntax=docker/dockerfile:1
# Build stage: the service's sources only (src/); dev dependencies and the TypeScript compiler stay here.
FROM node:20-bookworm-slim AS build
WORKDIR /app
# onnxruntime-node's install step would fetch GPU (CUDA) libraries; the CPU build we use is inside the npm package.
ENV ONNXRUNTIME_NODE_INSTALL=skip
COPY package.json package-lock.json .npmrc ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/prune-onnxruntime.mjs ./scripts/
COPY src ./src
RUN npm run build && npm prune --omit=dev && node scripts/prune-onnxruntime.mjs

# Runtime stage: glibc (onnxruntime-node's binary needs it), production dependencies, compiled code, non-root.
FROM node:20-bookworm-slim
ENV NODE_ENV=production PORT=3000
WORKDIR /app
COPY --from=build --chown=node:node /app/package.json ./
COPY --from=build --chown=node:node /app/node_modules ./node_modules
COPY --from=build --chown=node:node /app/dist ./dist
# The call store's embedded default (SQLite at ./data) needs a folder the service may write; mount a volume here to
# keep calls across containers, or set DATABASE_URL to PostgreSQL.
RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# The same Node flags as `npm start` (a test keeps them in step).
CMD ["node", "--max-semi-space-size=32", "--no-parallel-scavenge", "dist/main.js"]
