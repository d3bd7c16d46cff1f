-- A void: orders cancelled the order before it knew of a payment. Decided before any request
-- arrived, the order's payment row is 'voided' (no money moved; every later request is refused);
-- decided after a payment, the payment is refunded and the row is 'refunded' as for any refund.
alter table payments drop constraint payments_status_check;
alter table payments add constraint payments_status_check
  check (status in ('succeeded', 'declined', 'refunded', 'voided'));
alter table payments drop constraint payments_paid_entry;
alter table payments add constraint payments_paid_entry
  check ((status in ('declined', 'voided')) = (payment_entry is null));
