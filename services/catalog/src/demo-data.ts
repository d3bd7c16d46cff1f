/** `DEMO_DATA=1`: about thirty plausible products, written once into an empty catalog. */
import type { Sql } from '@shop/shared/data/db'
import type { Logger } from '@shop/shared/runtime/logger'
import { demoImage } from './demo-images.ts'

type Demo = [name: string, category: string, price: number, stock: number, description: string]

export const DEMO_PRODUCTS: Demo[] = [
  ['Aurora Wireless Headphones', 'Electronics', 12999, 40, 'Over-ear Bluetooth headphones with active noise cancelling and 30-hour battery.'],
  ['Pulse Fitness Tracker', 'Electronics', 4999, 60, 'Heart rate, sleep and step tracking with a seven-day battery.'],
  ['Nimbus 14" Laptop Sleeve', 'Electronics', 2499, 80, 'Padded water-resistant sleeve for 13 and 14 inch laptops.'],
  ['Volt USB-C Charger 65W', 'Electronics', 3499, 120, 'Compact gallium nitride charger for laptop, tablet and phone.'],
  ['Echo Portable Speaker', 'Electronics', 5999, 35, 'Rugged waterproof Bluetooth speaker with rich bass.'],
  ['Lumen Desk Lamp', 'Home & Kitchen', 3999, 45, 'Dimmable LED desk lamp with adjustable colour temperature.'],
  ['Barista Pour-Over Kettle', 'Home & Kitchen', 4499, 30, 'Gooseneck kettle with a built-in thermometer for precise pouring.'],
  ['Cast Iron Skillet 26 cm', 'Home & Kitchen', 3499, 50, 'Pre-seasoned cast iron pan for searing, baking and frying.'],
  ['Linen Tea Towels (set of 3)', 'Home & Kitchen', 1599, 90, 'Soft, absorbent stonewashed linen towels.'],
  ['Ceramic Pour-Over Dripper', 'Home & Kitchen', 2199, 70, 'Hand-glazed ceramic coffee dripper for a clean, bright cup.'],
  ['Chef Knife 20 cm', 'Home & Kitchen', 6999, 25, 'Forged stainless steel chef knife with a full tang.'],
  ['Ethiopia Yirgacheffe Coffee 500 g', 'Coffee', 1899, 100, 'Light roast with notes of jasmine, bergamot and peach.'],
  ['Colombia Huila Coffee 500 g', 'Coffee', 1699, 100, 'Medium roast, caramel sweetness and red apple acidity.'],
  ['Espresso Blend 1 kg', 'Coffee', 2999, 60, 'Chocolatey, full-bodied espresso blend for milk drinks.'],
  ['Decaf Brazil 500 g', 'Coffee', 1599, 40, 'Swiss-water decaf with nutty, cocoa notes.'],
  ['Trailhead 30 L Backpack', 'Outdoors', 8999, 30, 'Lightweight hiking pack with a ventilated back panel and rain cover.'],
  ['Summit Insulated Bottle 750 ml', 'Outdoors', 2799, 110, 'Keeps drinks cold 24 hours or hot 12 hours.'],
  ['Ridge Trekking Poles', 'Outdoors', 5499, 20, 'Collapsible aluminium poles with cork grips.'],
  ['Campfire Enamel Mug', 'Outdoors', 1299, 150, 'Classic enamel mug for the trail and the kitchen.'],
  ['Headlamp 350 Lumen', 'Outdoors', 2999, 55, 'Rechargeable headlamp with red light mode.'],
  ['The Pragmatic Engineer', 'Books', 3999, 40, 'Practical lessons on building software that lasts.'],
  ['Designing Data Systems', 'Books', 4599, 35, 'How databases, queues and streams fit together, explained from first principles.'],
  ['A Year of Baking', 'Books', 2999, 25, 'Seasonal bread, cake and pastry recipes for home bakers.'],
  ['Trails of the North', 'Books', 2499, 30, 'A photographic guide to hiking routes across northern Europe.'],
  ['Mindful Mornings', 'Books', 1799, 45, 'Short daily reflections to start the day calmly.'],
  ['Wooden Building Blocks (50)', 'Toys', 3499, 40, 'Solid beech blocks in natural and painted finishes.'],
  ['Puzzle: Night Sky 1000 pieces', 'Toys', 1999, 50, 'A challenging jigsaw of the Milky Way over the mountains.'],
  ['Strategy Board Game: Harbours', 'Toys', 4499, 30, 'Trade, build and race your fleet; 2 to 4 players.'],
  ['Plush Fox', 'Toys', 1499, 75, 'Soft, washable plush fox, 30 cm tall.'],
  ['Kids Watercolour Set', 'Toys', 1299, 60, 'Twenty-four bright watercolours with two brushes.'],
]

/** Inserts the demo products, each with its illustration, if the catalog is empty; safe when several instances start at once. */
export async function seedDemoData(sql: Sql, log: Logger): Promise<number> {
  // Rendered before the transaction (about a second for thirty), used only if the catalog is empty.
  const [counted] = await sql<{ n: number }[]>`select count(*)::int as n from products`
  if (counted!.n > 0) return 0
  const images = await Promise.all(DEMO_PRODUCTS.map(([name, category]) => demoImage(name, category)))
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext('shop.catalog.demo-data'))`
    const [row] = await tx<{ n: number }[]>`select count(*)::int as n from products`
    if (row!.n > 0) return 0
    const rows = DEMO_PRODUCTS.map(([name, category, price, stock, description]) => ({
      id: Bun.randomUUIDv7(),
      name,
      category,
      price,
      currency: 'EUR',
      stock,
      description,
    }))
    await tx`insert into products ${tx(rows, 'id', 'name', 'category', 'price', 'currency', 'stock', 'description')}`
    // Their stock enters the ledger as every product's does (stock = the sum of its movements).
    await tx`
      insert into stock_movements (product_id, kind, delta, reference)
      select id, 'initial', stock, 'demo data' from products where id = any(${rows.map((r) => r.id)}::uuid[]) and stock > 0`
    await tx`insert into product_images ${tx(
      rows.map((r, i) => ({
        id: Bun.randomUUIDv7(),
        product_id: r.id,
        position: 0,
        image: images[i]!.image,
        width: images[i]!.width,
        height: images[i]!.height,
        thumbnail: images[i]!.thumbnail,
        thumbnail_width: images[i]!.thumbnailWidth,
        thumbnail_height: images[i]!.thumbnailHeight,
      })),
    )}`
    log.info('demo catalog written', { products: rows.length, images: images.length })
    return rows.length
  })
}
