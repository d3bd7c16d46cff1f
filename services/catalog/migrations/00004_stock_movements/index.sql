-- The stock ledger: every change of a product's stock on hand, signed, in the transaction that
-- made it. A product's stock always equals the sum of its movements (no movement is written for
-- a change of zero, so a product created with no stock has none). Reservations move `reserved`
-- only, never stock, and so write no movement.

-- A version 7 UUID made by Postgres (uuidv7() arrives only in Postgres 18): the milliseconds of
-- the clock, then the fraction of the millisecond in the 12 bits RFC 9562 lets a generator use for
-- it, then random bits. Movements written in one statement (a sale of several items) get their
-- ids here; ids sort by time, so the newest-first list pages on the primary key.
-- PL/pgSQL, not SQL: a SQL function that cannot be inlined (a column default is not) is parsed
-- and planned again in every statement that calls it, which made each sale's movement cost about
-- 0.2 ms (pg_stat_statements under bun run bench); PL/pgSQL keeps its plan for the session.
create function uuid_v7() returns uuid language plpgsql volatile parallel safe as $$
declare
  ms double precision := extract(epoch from clock_timestamp()) * 1000;
begin
  return encode(
    substring(int8send(floor(ms)::bigint) from 3)
      || int2send((28672 | floor((ms - floor(ms)) * 4096)::int)::smallint)
      || substring(uuid_send(gen_random_uuid()) from 9),
    'hex')::uuid;
end
$$;

-- A delivery of goods: one `supply` movement per product. The admin's Idempotency-Key is kept
-- with it, so a retry whose idempotency record was lost (a crash between commit and answer)
-- finds the supply instead of booking it twice.
create table supplies (
  id              uuid        primary key default uuid_v7(),
  reference       text        not null check (char_length(reference) between 1 and 100),
  supplier        text        check (char_length(supplier) between 1 and 100),
  created_by      uuid        not null,
  idempotency_key text        not null check (char_length(idempotency_key) between 1 and 255),
  created_at      timestamptz not null default now(),
  constraint supplies_idempotency_key unique (created_by, idempotency_key)
);

create table stock_movements (
  id              uuid        primary key default uuid_v7(),
  -- No foreign key: every movement is written by a statement that has just locked or made its
  -- product, and products are never deleted (they are deactivated); the key's check would run a
  -- lookup per row on every sale.
  product_id      uuid        not null,
  kind            text        not null check (kind in ('initial', 'supply', 'adjustment', 'sale', 'restock')),
  delta           integer     not null check (delta <> 0),
  -- What it was for, in words a person reads: the order id, the supply's reference, the reason.
  reference       text        not null check (char_length(reference) between 1 and 200),
  order_id        uuid,
  supply_id       uuid        references supplies (id),
  -- The admin who made it (creation, PATCH, supply, adjustment); null for the order saga's.
  created_by      uuid,
  -- An adjustment's Idempotency-Key, for the same reason as the supply's.
  idempotency_key text        check (char_length(idempotency_key) between 1 and 255),
  created_at      timestamptz not null default now(),
  constraint stock_movements_sign check (
    (kind in ('initial', 'supply', 'restock') and delta > 0) or (kind = 'sale' and delta < 0) or kind = 'adjustment'),
  constraint stock_movements_supply check ((kind = 'supply') = (supply_id is not null)),
  constraint stock_movements_key check (idempotency_key is null or (kind = 'adjustment' and created_by is not null)),
  -- An order sells each product once and puts it back at most once, whatever is redelivered: the
  -- reservation's status says so (reserved → committed → restocked, each move under its row lock,
  -- writing its movements in the same statement). No unique index repeats it: it would be one
  -- more index entry on every sale, the order path's hottest write.
  constraint stock_movements_order check ((kind in ('sale', 'restock')) = (order_id is not null))
);
-- A supply names each product once. Partial, as the adjustments' key: a sale (the order path)
-- writes no entry in it. Every index here is written by every sale: only what is needed.
create unique index stock_movements_supply_once on stock_movements (supply_id, product_id) where supply_id is not null;
create unique index stock_movements_adjustment_key on stock_movements (created_by, idempotency_key) where idempotency_key is not null;
-- The movement list: newest first, by product (the primary key, a time-ordered UUID, serves the
-- list of every movement and, filtered, by kind: an admin's occasional read does not pay an index
-- on every sale).
create index stock_movements_product on stock_movements (product_id, id desc);

-- Append-only, as the payments ledger: a correction is a new movement, never an edit.
create function stock_ledger_append_only() returns trigger language plpgsql as $$
begin
  raise exception '% is append-only', tg_table_name using errcode = 'P0001';
end
$$;
create trigger stock_movements_append_only before update or delete on stock_movements
  for each row execute function stock_ledger_append_only();
create trigger stock_movements_no_truncate before truncate on stock_movements
  for each statement execute function stock_ledger_append_only();
create trigger supplies_append_only before update or delete on supplies
  for each row execute function stock_ledger_append_only();
create trigger supplies_no_truncate before truncate on supplies
  for each statement execute function stock_ledger_append_only();

-- The stock products hold now is where their ledger starts, so the sum holds from the first start.
insert into stock_movements (product_id, kind, delta, reference)
select id, 'initial', stock, 'stock before the ledger' from products where stock > 0 order by id;

-- A committed reservation whose order was cancelled or returned: its items are back in stock
-- (movements `restock`), once.
alter table reservations drop constraint reservations_status_check;
alter table reservations add constraint reservations_status_check
  check (status in ('reserved', 'committed', 'released', 'restocked'));

-- Stock stays far from the integer limit: a supply or an adjustment that would pass it is refused
-- (the same bound as a product's stock in the API). NOT VALID: rows written before are left as they are.
alter table products add constraint products_stock_bound check (stock <= 1000000000) not valid;
