-- The product list's cache (src/modules/products/list-cache.ts) hears of every change that could
-- make a cached page wrong, from whichever process made it (an API instance, the worker's rating
-- updates): `*` when products may move between pages or reorder (a new or removed product; its
-- name, text, category, price, currency, visibility, rating or picture address), the product's id
-- when one of its images changes. NOTIFY is sent at commit, repeats within a transaction once.
--
-- Stock, reserved and updated_at send nothing: a reservation changes them on every order, and a
-- transaction that notifies takes Postgres's global notify lock through its commit, which made
-- orders wait on each other (bun run bench: 105 paid orders/s instead of 170, docs/performance.md).
-- The list reads those three fresh for every page it serves from the cache.
create function products_list_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('catalog_list_' || tg_table_schema, '*');
  return null;
end $$;

create trigger products_list_inserted_or_deleted after insert or delete on products
  for each statement execute function products_list_changed();

create trigger products_list_changed after update on products
  for each row
  when ((old.name, old.description, old.category, old.price, old.currency, old.active, old.rating_score, old.rating_count, old.image_url)
        is distinct from (new.name, new.description, new.category, new.price, new.currency, new.active, new.rating_score, new.rating_count, new.image_url))
  execute function products_list_changed();

create function product_images_list_changed() returns trigger language plpgsql as $$
begin
  perform pg_notify('catalog_list_' || tg_table_schema, coalesce(new.product_id, old.product_id)::text);
  return null;
end $$;

create trigger product_images_list_changed after insert or update or delete on product_images
  for each row execute function product_images_list_changed();

-- A category sorted by price (either way) is one index walk, not every product of the category
-- sorted (200 ms on 100,000 products: docs/performance.md, issue 22).
create index products_category_price on products (lower(category), price, id) where active;
