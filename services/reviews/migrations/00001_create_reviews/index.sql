-- Who received what, from orders' events (order.delivered, order.returned): a customer may review
-- a product they have a delivered, unreturned purchase of. One row per order line; a repeated
-- event finds its rows there.
create table purchases (
  order_id     uuid        not null,
  product_id   uuid        not null,
  user_id      uuid        not null,
  delivered_at timestamptz not null,
  returned_at  timestamptz,
  primary key (order_id, product_id)
);
create index purchases_held on purchases (user_id, product_id) where returned_at is null;

-- Orders whose goods came back, whether or not their delivery is known yet: events of two jobs
-- can overtake each other (a delivery retried after its order's return), and the delivery then
-- finds the return here. Both handlers lock the order first, so the two never interleave.
create table returned_orders (
  order_id    uuid        primary key,
  returned_at timestamptz not null
);

create table reviews (
  id          uuid        primary key,
  product_id  uuid        not null,
  user_id     uuid        not null,
  rating      smallint    not null check (rating between 1 and 5),
  title       text        check (title <> ''),
  body        text        not null check (body <> ''),
  -- The author's name as it was when the review was written (their later renames do not move it).
  author_name text        not null,
  hidden      boolean     not null default false,
  created_at  timestamptz not null default now(),
  updated_at  timestamptz not null default now(),
  -- One review per customer and product: a second is a 409, even when two arrive at once.
  constraint reviews_one_per_buyer unique (user_id, product_id)
);
-- Ids are UUIDv7, so id order is creation order (to the millisecond, and exact in keyset cursors,
-- which a microsecond timestamp read into a JS Date would not be). The public list's three orders
-- are each a walk of one index: newest (also the moderation list of one product), highest and
-- lowest (newest first among equal ratings) over the visible reviews.
create index reviews_product on reviews (product_id, id desc);
create index reviews_highest on reviews (product_id, rating desc, id desc) where not hidden;
create index reviews_lowest on reviews (product_id, rating, id desc) where not hidden;
-- The moderation list of hidden reviews (all reviews: the primary key, walked backwards).
create index reviews_hidden on reviews (id desc) where hidden;

-- A product's rating over its visible reviews, kept in the transaction of every change (so the
-- summary is one row and 100 reviews at once count 100): how many of each star, and `version`,
-- the number of changes, which the catalog uses to keep only the newest rating it is sent.
create table product_ratings (
  product_id uuid    primary key,
  stars_1    integer not null default 0 check (stars_1 >= 0),
  stars_2    integer not null default 0 check (stars_2 >= 0),
  stars_3    integer not null default 0 check (stars_3 >= 0),
  stars_4    integer not null default 0 check (stars_4 >= 0),
  stars_5    integer not null default 0 check (stars_5 >= 0),
  version    bigint  not null default 0,
  -- The last change's review and kind, and when: what the worker sends the catalog again, once,
  -- a while later (Redis may forget review.changed after the outbox marked it sent), until
  -- `resent_version` reaches `version`.
  last_review_id uuid,
  last_change    text,
  changed_at     timestamptz not null default now(),
  resent_version bigint not null default 0
);
create index product_ratings_unsent on product_ratings (changed_at) where resent_version < version;

-- Authors whose review of a product the owner hid: a review they write again (after deleting
-- the hidden one) starts hidden too, so deleting is no way around moderation. Unhiding clears it.
create table moderated_authors (
  user_id    uuid not null,
  product_id uuid not null,
  primary key (user_id, product_id)
);
