-- Deliveries and returns announced to the reviews service (order.delivered, order.returned), to
-- be announced once more ORDER_TIMEOUT_SECONDS after `announced_at`: Redis may forget the event
-- after the outbox marked it sent, and nothing else would repeat it (a customer who received a
-- product could never review it). Written in the transaction of the transition; the reconciler
-- publishes the event again and deletes the row. A repeat is harmless: reviews records a purchase,
-- or a return, once.
create table announcements (
  order_id     uuid        not null references orders (id) on delete cascade,
  event        text        not null check (event in ('order.delivered', 'order.returned')),
  announced_at timestamptz not null default now(),
  primary key (order_id, event)
);
create index announcements_due on announcements (announced_at);

-- Orders delivered or returned before there were reviews: announced by the reconciler's next pass
-- (in batches), so their customers may review what they received.
insert into announcements (order_id, event) select id, 'order.delivered' from orders where delivered_at is not null;
insert into announcements (order_id, event) select id, 'order.returned' from orders where returned_at is not null;
