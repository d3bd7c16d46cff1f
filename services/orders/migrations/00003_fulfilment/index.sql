-- Fulfilment (docs/contract.md, version 2): a human order number, the shipping address copied
-- onto the order, the shipment (carrier, tracking, when shipped and delivered) and returns.

-- Two new states: a delivered order whose return was asked for, and one whose goods came back.
alter table orders drop constraint orders_status_check;
alter table orders add constraint orders_status_check
  check (status in ('NEW', 'PAID', 'SHIPPED', 'DELIVERED', 'CANCELLED', 'RETURN_REQUESTED', 'RETURNED'));
alter table order_history drop constraint order_history_event_check;
alter table order_history add constraint order_history_event_check
  check (event in ('created', 'paid', 'cancelled', 'shipped', 'delivered', 'refund_requested', 'refunded', 'return_requested', 'returned'));

-- The order number: a sequence, so any number of orders instances take distinct, increasing
-- numbers without coordination (gaps are possible: a number taken by a rolled-back insert). Orders
-- written before get theirs in creation order, from 1001.
create sequence order_numbers start 1001;
alter table orders add column number bigint;
with ordered as (select id, row_number() over (order by created_seq) as n from orders)
update orders o set number = 1000 + ordered.n from ordered where o.id = ordered.id;
select setval('order_numbers', coalesce((select max(number) from orders), 1000));
alter table orders alter column number set default nextval('order_numbers');
alter table orders alter column number set not null;
alter table orders add constraint orders_number unique (number);
alter sequence order_numbers owned by orders.number;

-- The address the customer chose, as it was when they ordered (their address book may change).
alter table orders add column shipping_address jsonb check (shipping_address is null or jsonb_typeof(shipping_address) = 'object');

-- The shipment: set by ship (carrier and tracking together), delivered_at by deliver. Orders
-- shipped before this migration have none.
alter table orders add column carrier text check (char_length(carrier) between 1 and 64);
alter table orders add column tracking_number text check (char_length(tracking_number) between 1 and 64);
alter table orders add column shipped_at timestamptz;
alter table orders add column delivered_at timestamptz;
alter table orders add constraint orders_shipment check ((carrier is null) = (tracking_number is null) and (carrier is null) = (shipped_at is null));

-- A return: why the customer sends the goods back, when they asked, when the goods came back.
alter table orders add column return_reason text check (char_length(return_reason) between 1 and 500);
alter table orders add column return_requested_at timestamptz;
alter table orders add column returned_at timestamptz;
alter table orders add constraint orders_return check ((return_reason is null) = (return_requested_at is null));

-- The history entry of a shipment or a delivery carries the shipment as it was then, so the live
-- stream shows the tracking number without a read.
alter table order_history add column shipment jsonb;

-- The owner's lists page on the number (newest first: the sequence follows creation), through
-- its unique index; the shipping queue (paid orders, returns to receive) has a partial index,
-- which only the rows in those states enter. Every index of orders is written by the order path
-- (an insert and a non-HOT update per order): no more than these.
create index orders_to_handle on orders (status, number desc) where status in ('PAID', 'RETURN_REQUESTED');
