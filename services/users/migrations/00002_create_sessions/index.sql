-- A session is one sign-in: the family of refresh tokens that rotate from it.
create table sessions (
  id             uuid        primary key,
  user_id        uuid        not null references users (id) on delete cascade,
  created_at     timestamptz not null default now(),
  expires_at     timestamptz not null,
  revoked_at     timestamptz,
  revoked_reason text
);
create index sessions_user_id on sessions (user_id) where revoked_at is null;

-- Refresh tokens are opaque; only their SHA-256 is stored. A used token stays as a tombstone so
-- that presenting it again is recognised as reuse.
create table refresh_tokens (
  token_hash text        primary key,
  session_id uuid        not null references sessions (id) on delete cascade,
  created_at timestamptz not null default now(),
  expires_at timestamptz not null,
  used_at    timestamptz
);
create index refresh_tokens_session_id on refresh_tokens (session_id);
