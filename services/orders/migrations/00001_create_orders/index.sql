create table orders (
  id              uuid        primary key,
  -- Creation order, for keyset pages (ids are derived from the Idempotency-Key, not time).
  created_seq     bigint      generated always as identity,
  user_id         uuid        not null,
  status          text        not null check (status in ('NEW', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED')),
  reason          text        check (reason in ('insufficient_funds', 'no_wallet', 'out_of_stock', 'user_cancelled', 'timeout', 'currency_mismatch')),
  -- Fixed at creation from the catalog's prices: integer minor units of `currency`.
  total           bigint      not null check (total > 0),
  currency        text        not null check (currency ~ '^[A-Z]{3}$'),
  idempotency_key text        not null,
  refund_status   text        check (refund_status in ('requested', 'refunded')),
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint orders_cancel_reason check ((status = 'CANCELLED') = (reason is not null)),
  -- The order a (user, Idempotency-Key) made: a retry can never make a second one.
  constraint orders_user_key unique (user_id, idempotency_key)
);
create index orders_user_created on orders (user_id, created_seq desc);
create index orders_new_created on orders (created_at) where status = 'NEW';

create table order_items (
  order_id   uuid    not null references orders (id) on delete cascade,
  product_id uuid    not null,
  name       text    not null,
  quantity   integer not null check (quantity > 0),
  unit_price bigint  not null check (unit_price > 0),
  primary key (order_id, product_id)
);

-- Every transition and refund milestone, numbered per user: `seq` is the SSE event id, and it
-- is assigned under the user's stream row lock, so it grows in commit order.
create table order_history (
  user_id  uuid        not null,
  seq      bigint      not null,
  order_id uuid        not null references orders (id) on delete cascade,
  event    text        not null check (event in ('created', 'paid', 'cancelled', 'shipped', 'delivered', 'refund_requested', 'refunded')),
  status   text        not null,
  reason   text,
  at       timestamptz not null default clock_timestamp(),
  primary key (user_id, seq)
);
create index order_history_order on order_history (order_id, seq);

create table order_streams (
  user_id  uuid   primary key,
  last_seq bigint not null
);

-- Written (and committed) before stock is reserved for an order, removed with the order's
-- insert: one left behind means the reservation may be orphaned, and the reconciler releases it.
create table order_intents (
  order_id   uuid        primary key,
  user_id    uuid        not null,
  created_at timestamptz not null default now()
);
