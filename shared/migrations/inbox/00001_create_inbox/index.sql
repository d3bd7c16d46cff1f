-- Messages already handled: inserted in the same transaction as the handler's effects, so a
-- redelivered message is recognised and skipped.
create table inbox (
  message_id  uuid        primary key,
  queue       text        not null,
  name        text        not null,
  received_at timestamptz not null default now()
);
create index inbox_received_at on inbox (received_at);

-- Messages that exhausted their attempts or could never be processed (bad payloads).
create table dead_letters (
  message_id uuid        not null,
  queue      text        not null,
  name       text        not null,
  data       jsonb       not null,
  error      text        not null,
  attempts   integer     not null,
  failed_at  timestamptz not null default now(),
  primary key (message_id, queue)
);
