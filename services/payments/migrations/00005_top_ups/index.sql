-- Money in through a payment provider: a top-up is asked for, the provider confirms (Stripe: its
-- webhook, or the recheck that asks it), and only then is the wallet credited, exactly once (the
-- ledger's deposit_key is `top-up:<id>`, unique per wallet, and `ledger_entry` is set once).
create table top_ups (
  id              uuid        primary key,
  user_id         uuid        not null,
  wallet_id       uuid        not null references wallets (id),
  amount          bigint      not null check (amount > 0),
  currency        text        not null check (currency ~ '^[A-Z]{3}$'),
  provider        text        not null check (provider in ('demo', 'stripe')),
  status          text        not null check (status in ('pending', 'succeeded', 'failed', 'canceled')),
  -- The caller's Idempotency-Key: a retried request finds its top-up instead of making another.
  idempotency_key text        not null,
  -- The provider's object (a PaymentIntent id) and the secret the app's card form needs.
  provider_ref    text,
  client_secret   text,
  failure_reason  text        check (length(failure_reason) <= 500),
  ledger_entry    uuid        references ledger_entries (id),
  -- The recheck's backoff: when the provider was last asked about this top-up, and how often.
  checked_at      timestamptz,
  checks          integer     not null default 0,
  created_at      timestamptz not null default now(),
  updated_at      timestamptz not null default now(),
  constraint top_ups_idempotency_key unique (user_id, idempotency_key),
  constraint top_ups_provider_ref_key unique (provider, provider_ref),
  constraint top_ups_credited check ((status = 'succeeded') = (ledger_entry is not null)),
  constraint top_ups_ledger_entry_key unique (ledger_entry)
);
create index top_ups_unsettled on top_ups (created_at) where status in ('pending', 'failed');
create index top_ups_user on top_ups (user_id, id desc);

-- The provider's inbox: every notification handled, by the provider's own event id, recorded in
-- the transaction of its effects, so a repeated delivery changes nothing.
create table provider_events (
  provider    text        not null,
  event_id    text        not null,
  type        text        not null,
  received_at timestamptz not null default now(),
  primary key (provider, event_id)
);
create index provider_events_received_at on provider_events (received_at);
