-- What an order waits to hear from payments, so that it can be asked again when Redis forgot the
-- request or the answer after the outbox marked it sent (see state.ts, `awaiting`):
-- `void_status`: a NEW order cancelled (timeout, customer) asks payments to void its payment,
-- which may have been taken already; `asked_at`: when payments was last asked for what the order
-- awaits (its payment, the void, a refund), null when it awaits nothing; `reasks`: how many times
-- it was asked again (the backoff).
alter table orders add column void_status text check (void_status in ('requested', 'confirmed'));
alter table orders add column asked_at timestamptz;
alter table orders add column reasks integer not null default 0;
update orders set asked_at = now() where status = 'NEW' or refund_status = 'requested';
-- Every order starts NEW, awaiting its payment.
alter table orders alter column asked_at set default now();

-- The reconciler's work list: orders awaiting an answer (NEW ones among them, for the timeout).
-- A small set (an order awaits for milliseconds) that replaces the index of NEW orders.
create index orders_awaiting on orders (asked_at) where asked_at is not null;
drop index orders_new_created;

-- Money is bounded so that every sum is exact (docs/contract.md): an order's total is at most
-- 1,000,000,000 minor units. NOT VALID: rows written before the bound are left as they are.
alter table orders add constraint orders_total_bound check (total <= 1000000000) not valid;
