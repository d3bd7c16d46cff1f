-- Reservations still reserved, oldest first: the orders reconciler asks for those left reserved
-- past the order timeout (an order.paid or order.cancelled that Redis forgot) and settles them.
-- Small: a reservation is reserved for the milliseconds between an order and its payment.
create index reservations_reserved on reservations (created_at) where status = 'reserved';

-- Money is bounded so that every sum is exact (docs/contract.md): a price is at most 100,000,000
-- minor units. NOT VALID: rows written before the bound are left as they are.
alter table products add constraint products_price_bound check (price <= 100000000) not valid;
