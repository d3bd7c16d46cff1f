-- One wallet per user; its currency is fixed when it is created.
create table wallets (
  id         uuid        primary key,
  user_id    uuid        not null,
  currency   text        not null check (currency ~ '^[A-Z]{3}$'),
  -- Maintained in the same transaction as every ledger entry; never below zero.
  balance    bigint      not null default 0 check (balance >= 0),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint wallets_user_id_key unique (user_id)
);
