# Builds every app of the monorepo into one image; the command picks the app:
#   docker run chat-ledger node dist/apps/chat-gateway/src/main.js
#   docker run chat-ledger node dist/apps/ledger-consumer/src/main.js
#   docker run chat-ledger node dist/apps/outbox-relay/src/main.js
# and the one-off steps of the operator CLI, e.g. the migrations of every schema owner before a rollout whose apps
# run with DB_MIGRATE=false (what `npm run migrate` does in a checkout):
#   docker run chat-ledger node dist/tools/cli/main.js migrate
# The runtime stage installs production dependencies only (`npm ci --omit=dev`): no embedded PostgreSQL,
# no embedded broker, no test or benchmark tools.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json nest-cli.json ./
COPY apps apps
COPY libs libs
COPY tools tools
COPY bench bench
RUN npm run build

FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json ./
USER node
EXPOSE 3000 3001
CMD ["node", "--enable-source-maps", "dist/apps/chat-gateway/src/main.js"]
