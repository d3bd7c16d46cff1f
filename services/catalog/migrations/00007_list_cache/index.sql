-- The product list's cache (src/modules/products/list-cache.ts) hears of every change that could
-- make a cached page wrong, from whichever process made it (an API instance, the worker's stock and
-- rating updates): `*` when a change can move products between pages or reorder them (a new or
-- removed product; its name, text, category, price, currency, visibility or rating), the product's
-- id when only what a page shows of it changed (stock, reserved, an image). NOTIFY is sent at
-- commit, and repeats within a transaction are sent once.
create function products_list_changed() returns trigger language plpgsql as $$
begin
  if tg_op = 'UPDATE'
     and (new.name, new.description, new.category, new.price, new.currency, new.active, new.rating_score, new.rating_count)
         is not distinct from (old.name, old.description, old.category, old.price, old.currency, old.active, old.rating_score, old.rating_count) then
    perform pg_notify('catalog_list_' || tg_table_schema, new.id::text);
  else
    perform pg_notify('catalog_list_' || tg_table_schema, '*');
  end if;
  return null;
end $$;

create trigger products_list_changed after insert or update or delete on products
  for each row execute function products_list_changed();

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
