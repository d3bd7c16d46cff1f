-- The owner's dashboard (GET /api/admin/orders/stats) reads the last days' orders by creation
-- time: without this index every dashboard load would read the whole table.
create index orders_created_at on orders (created_at);
