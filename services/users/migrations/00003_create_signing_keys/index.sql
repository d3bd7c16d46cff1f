-- The access-token signing key, generated once so restarts and instances agree.
create table signing_keys (
  kid         text        primary key,
  alg         text        not null,
  private_jwk jsonb       not null,
  public_jwk  jsonb       not null,
  created_at  timestamptz not null default now(),
  active      boolean     not null default true
);
create unique index signing_keys_one_active on signing_keys (active) where active;
