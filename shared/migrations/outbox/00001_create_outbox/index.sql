-- Events written in the same transaction as the change they describe, one row per consumer
-- queue; the relay leases pending rows, moves them to BullMQ (job id = event id) and marks them
-- sent.
create table outbox (
  id           bigint generated always as identity primary key,
  event_id     uuid        not null,
  queue        text        not null,
  name         text        not null,
  payload      jsonb       not null,
  occurred_at  timestamptz not null default now(),
  available_at timestamptz not null default now(),
  attempts     integer     not null default 0,
  last_error   text,
  -- A relay's lease on the row while it publishes; a relay that dies lets it lapse.
  claimed_until timestamptz,
  sent_at      timestamptz,
  unique (event_id, queue)
);
create index outbox_pending on outbox (available_at, id) where sent_at is null;
create index outbox_sent on outbox (sent_at) where sent_at is not null;
