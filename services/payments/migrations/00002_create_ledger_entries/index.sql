-- The append-only ledger: every movement of money, signed (+ credit, - debit), with the balance
-- it left. The sum of a wallet's amounts equals its balance.
create table ledger_entries (
  id            uuid        primary key,
  wallet_id     uuid        not null references wallets (id),
  kind          text        not null check (kind in ('deposit', 'payment', 'refund')),
  amount        bigint      not null,
  balance_after bigint      not null check (balance_after >= 0),
  order_id      uuid,
  -- The Idempotency-Key of a deposit: a retried deposit can never be booked twice.
  deposit_key   text,
  created_at    timestamptz not null default now(),
  constraint ledger_entries_sign check ((kind = 'payment' and amount < 0) or (kind <> 'payment' and amount > 0)),
  constraint ledger_entries_order check ((kind = 'deposit') = (order_id is null)),
  constraint ledger_entries_deposit_key check ((kind = 'deposit') = (deposit_key is not null)),
  -- One payment and one refund per order, whatever is retried.
  constraint ledger_entries_order_kind_key unique (order_id, kind),
  constraint ledger_entries_deposit_key_key unique (wallet_id, deposit_key)
);
create index ledger_entries_wallet on ledger_entries (wallet_id, id desc);

create function ledger_entries_append_only() returns trigger language plpgsql as $$
begin
  raise exception 'ledger entries are append-only' using errcode = 'P0001';
end
$$;
create trigger ledger_entries_append_only before update or delete on ledger_entries
  for each row execute function ledger_entries_append_only();
