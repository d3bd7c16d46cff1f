-- A product's images, kept in Postgres with the product (every catalog instance serves them; a
-- backup holds them): each upload re-encoded to WebP (at most 1600 px on its longer side, its
-- metadata such as a camera's GPS position dropped) and a thumbnail (at most 400 px), with their
-- sizes so pages can reserve the space. Ids are UUIDv7 and an image never changes (a new upload is
-- a new image): served with a year-long immutable cache. `position` orders a product's images;
-- the first is the main one.
create table product_images (
  id               uuid        primary key,
  product_id       uuid        not null references products (id) on delete cascade,
  position         integer     not null,
  image            bytea       not null,
  width            integer     not null,
  height           integer     not null,
  thumbnail        bytea       not null,
  thumbnail_width  integer     not null,
  thumbnail_height integer     not null,
  created_at       timestamptz not null default now()
);
create index product_images_product on product_images (product_id, position);
