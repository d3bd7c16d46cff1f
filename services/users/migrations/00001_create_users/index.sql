create table users (
  id            uuid        primary key,
  email         text        not null,
  password_hash text        not null,
  name          text        not null check (char_length(name) between 1 and 100),
  role          text        not null default 'customer' check (role in ('customer', 'admin')),
  created_at    timestamptz not null default now(),
  updated_at    timestamptz not null default now(),
  -- Emails are stored normalised (trimmed, lower case); the index makes them unique.
  constraint users_email_normalised check (email = lower(btrim(email))),
  constraint users_email_key unique (email)
);
