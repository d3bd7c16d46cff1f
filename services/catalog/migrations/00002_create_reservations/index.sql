-- Stock promised to an order, by order id: reserved, then committed (paid: the stock leaves)
-- or released (cancelled: the stock returns). A release for an unknown order leaves a released
-- tombstone, so a late reservation for that order cannot resurrect it.
create table reservations (
  order_id   uuid        primary key,
  status     text        not null check (status in ('reserved', 'committed', 'released')),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table reservation_items (
  order_id   uuid    not null references reservations (order_id) on delete cascade,
  product_id uuid    not null references products (id),
  quantity   integer not null check (quantity > 0),
  -- The price the order is charged: fixed when the stock is reserved.
  unit_price bigint  not null check (unit_price > 0),
  currency   text    not null,
  primary key (order_id, product_id)
);
create index reservation_items_product on reservation_items (product_id);
