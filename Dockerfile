# One image for every service and worker; docker-compose.yml picks the entry with `command`.
FROM oven/bun:1.4
WORKDIR /app
ENV NODE_ENV=production
COPY package.json bun.lock bunfig.toml ./
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
USER bun
CMD ["bun", "services/users/src/main.ts"]
