-- Idempotency-Key records: one per (user, route, key), kept at least the retention window.
create table idempotency_keys (
  user_id         text        not null,
  route           text        not null,
  key             text        not null,
  request_hash    text        not null,
  state           text        not null check (state in ('in_flight', 'done')),
  lock_token      uuid        not null,
  locked_until    timestamptz not null,
  response_status integer,
  response_body   jsonb,
  content_type    text,
  created_at      timestamptz not null default now(),
  primary key (user_id, route, key)
);

create index idempotency_keys_created_at on idempotency_keys (created_at);
