-- A product's rating, kept from the reviews service's `review.changed` events: the count and sum
-- of its visible reviews' ratings (1-5), as of the reviews' change number `rating_version`; an
-- event older than what is here changes nothing, so a repeated or late one never skews it.
-- `rating_score` is the average to one decimal (0 while unrated), for sorting by rating only.
-- One CHECK, kept small: Postgres evaluates a table's CHECKs on every update of a row, and the
-- order path updates products (docs/performance.md, round 9).
alter table products
  add column rating_count integer not null default 0,
  add column rating_sum bigint not null default 0,
  add column rating_score numeric(2, 1) not null default 0,
  add column rating_version bigint not null default 0,
  add constraint products_rating check (rating_sum between rating_count and 5 * rating_count);

create index products_by_rating on products (rating_score desc, rating_count desc, id desc) where active;
