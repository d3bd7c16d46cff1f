# One image for every service and worker (docker-compose.yml and deploy/k8s pick the entry with
# `command`), with the web UI built in: the gateway serves it at /.
#   docker build -t shop .                                   (oven/bun:1.4)
#   docker build --build-arg BASE_IMAGE=my-registry/bun:1.4 -t shop .
# The base needs bun on the PATH; the image runs as uid 1000, so any base works without a user.
ARG BASE_IMAGE=oven/bun:1.4

# --- the web UI: the desktop renderer's web build needs the dev dependencies (vite, preact) ---
FROM ${BASE_IMAGE} AS web
WORKDIR /app
COPY package.json bun.lock bunfig.toml ./
COPY patches patches
COPY shared/package.json shared/
COPY services/users/package.json services/users/
COPY services/payments/package.json services/payments/
COPY services/catalog/package.json services/catalog/
COPY services/orders/package.json services/orders/
COPY services/reviews/package.json services/reviews/
COPY services/gateway/package.json services/gateway/
COPY desktop/package.json desktop/
RUN bun install --frozen-lockfile
COPY tsconfig.json ./
COPY desktop desktop
RUN bun run build:web

# --- the services: production dependencies only ---
FROM ${BASE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production \
    # The root filesystem may be read-only (Kubernetes): Bun keeps no transpiler cache.
    BUN_RUNTIME_TRANSPILER_CACHE_PATH=0 \
    WEB_DIR=desktop/dist-web
COPY package.json bun.lock bunfig.toml ./
COPY patches patches
COPY shared/package.json shared/
COPY services/users/package.json services/users/
COPY services/payments/package.json services/payments/
COPY services/catalog/package.json services/catalog/
COPY services/orders/package.json services/orders/
COPY services/reviews/package.json services/reviews/
COPY services/gateway/package.json services/gateway/
COPY desktop/package.json desktop/
RUN bun install --frozen-lockfile --production
COPY tsconfig.json ./
COPY shared shared
COPY services services
COPY --from=web /app/desktop/dist-web desktop/dist-web
USER 1000:1000
CMD ["bun", "services/users/src/main.ts"]
