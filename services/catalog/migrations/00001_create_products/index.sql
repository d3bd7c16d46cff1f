create table products (
  id          uuid        primary key,
  name        text        not null check (char_length(name) between 1 and 200),
  description text        not null default '' check (char_length(description) <= 5000),
  category    text        not null check (char_length(category) between 1 and 60),
  -- Integer minor units of `currency`.
  price       bigint      not null check (price > 0),
  currency    text        not null check (currency ~ '^[A-Z]{3}$'),
  image_url   text        check (image_url ~ '^https?://'),
  active      boolean     not null default true,
  -- On hand, and promised to orders that are not paid yet; never oversold.
  stock       integer     not null check (stock >= 0),
  reserved    integer     not null default 0 check (reserved >= 0 and reserved <= stock),
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  search      tsvector    generated always as (
    setweight(to_tsvector('english', name), 'A') ||
    setweight(to_tsvector('english', category), 'B') ||
    setweight(to_tsvector('english', description), 'C')
  ) stored
);

-- Not partial: Postgres 15 did not use a partial GIN index here (measured), so it covers all rows.
create index products_search on products using gin (search);
create index products_category on products (lower(category), id) where active;
create index products_price on products (price, id) where active;
create index products_name on products (name, id) where active;
create index products_newest on products (id) where active;
