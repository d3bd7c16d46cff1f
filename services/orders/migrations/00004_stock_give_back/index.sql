-- A paid order that is cancelled, or returned, gives its goods back to the catalog through
-- order.cancelled / order.returned. Redis may forget that event after the outbox marked it sent,
-- and nothing else would ask again (the catalog's reservation is committed, so the stale-reservation
-- pass never sees it): the order records that it awaits the give-back, and the reconciler asks the
-- catalog directly once it is overdue (the catalog gives back once, whoever asks first). Nothing
-- reports the event's arrival back, so the reconciler asks for every such order, a timeout later:
-- a no-op at the catalog when the event got there first (these orders are few).
alter table orders add column restock_status text check (restock_status in ('requested', 'confirmed'));
alter table orders add column restock_asked_at timestamptz;
alter table orders add constraint orders_restock check ((restock_status is null) = (restock_asked_at is null));
create index orders_restock_requested on orders (restock_asked_at) where restock_status = 'requested';
