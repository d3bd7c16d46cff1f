-- The outcome of each order's payment: decided once, reported again on a repeated request.
create table payments (
  id             uuid        primary key,
  order_id       uuid        not null,
  user_id        uuid        not null,
  wallet_id      uuid        references wallets (id),
  amount         bigint      not null check (amount > 0),
  currency       text        not null check (currency ~ '^[A-Z]{3}$'),
  status         text        not null check (status in ('succeeded', 'declined', 'refunded')),
  decline_reason text        check (decline_reason in ('insufficient_funds', 'no_wallet', 'currency_mismatch')),
  payment_entry  uuid        references ledger_entries (id),
  refund_entry   uuid        references ledger_entries (id),
  created_at     timestamptz not null default now(),
  updated_at     timestamptz not null default now(),
  constraint payments_order_id_key unique (order_id),
  constraint payments_declined_reason check ((status = 'declined') = (decline_reason is not null)),
  constraint payments_paid_entry check ((status = 'declined') = (payment_entry is null)),
  constraint payments_refund_entry check ((status = 'refunded') = (refund_entry is not null))
);
create index payments_user_id on payments (user_id);
