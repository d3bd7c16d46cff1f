-- A customer's address book. The service counts lengths as people do (grapheme clusters, at most
-- 100 or 200) and trims; these bounds are the backstop: four UTF-16 units per character, as the
-- request schemas allow, so nothing the service accepts is refused here. Absent optional fields
-- are NULL, never ''.
create table addresses (
  id          uuid        primary key,
  user_id     uuid        not null references users (id) on delete cascade,
  name        text        not null check (char_length(name) between 1 and 400),
  line1       text        not null check (char_length(line1) between 1 and 800),
  line2       text                 check (char_length(line2) between 1 and 800),
  city        text        not null check (char_length(city) between 1 and 400),
  region      text                 check (char_length(region) between 1 and 400),
  postal_code text        not null check (postal_code ~ '^[A-Za-z0-9][A-Za-z0-9 -]{0,19}$'),
  -- ISO 3166-1 alpha-2, in capitals (which codes exist is the service's list).
  country     text        not null check (country ~ '^[A-Z]{2}$'),
  phone       text                 check (phone ~ '^\+?[0-9(][0-9 ()./-]{2,30}[0-9]$'),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now()
);
-- The owner's list, newest first (ids are UUIDv7), and the count the trigger below makes.
create index addresses_user_id on addresses (user_id, id desc);

-- At most 20 addresses per user, whoever inserts. Inserts for one owner are serialised by a lock
-- on the owner's row: a concurrent insert waits here, then counts with a fresh snapshot (read
-- committed takes one per statement of a volatile function), so 25 at once end with 20, not 24.
-- The service turns this error into 409 address_limit_reached.
create function addresses_per_user_limit() returns trigger language plpgsql
set search_path from current as $$
begin
  perform 1 from users where id = new.user_id for no key update;
  if (select count(*) from addresses where user_id = new.user_id) >= 20 then
    raise exception 'a user has at most 20 addresses'
      using errcode = 'check_violation', constraint = 'addresses_per_user_limit';
  end if;
  return new;
end
$$;
create trigger addresses_per_user_limit before insert on addresses
  for each row execute function addresses_per_user_limit();
