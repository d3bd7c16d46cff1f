import { useEffect, useState } from 'preact/hooks'
import type { Category, Product, ProductQuery } from '../../shared/api.ts'
import { api } from '../api.ts'
import { formatMoney } from '../money.ts'
import { Empty, ErrorBox, SkeletonCards } from '../ui.tsx'
import { Stars } from './product.tsx'

export function CatalogScreen({ onAdd, inCart }: { onAdd: (product: Product) => void; inCart: (id: string) => number }) {
  const [q, setQ] = useState('')
  const [category, setCategory] = useState('')
  const [sort, setSort] = useState<ProductQuery['sort'] | ''>('')
  const [categories, setCategories] = useState<Category[]>([])
  const [products, setProducts] = useState<Product[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    api.categories().then(setCategories, setError)
  }, [attempt])

  useEffect(() => {
    let cancelled = false
    const timer = setTimeout(async () => {
      setError(null)
      try {
        const page = await api.products({ q: q.trim() || undefined, category: category || undefined, sort: sort || undefined })
        if (cancelled) return
        setProducts(page.items)
        setCursor(page.nextCursor)
      } catch (e) {
        if (!cancelled) (setError(e), setProducts([]))
      }
    }, products === null ? 0 : 200)
    return () => {
      cancelled = true
      clearTimeout(timer)
    }
  }, [q, category, sort, attempt])

  return (
    <main>
      <h1 tabIndex={-1}>Shop</h1>
      <div class="filters">
        <input name="search" type="search" placeholder="Search products" value={q} onInput={(e) => setQ(e.currentTarget.value)} aria-label="Search" />
        <select name="category" value={category} onChange={(e) => setCategory(e.currentTarget.value)} aria-label="Category">
          <option value="">All categories</option>
          {categories.map((c) => (
            <option key={c.name} value={c.name}>
              {c.name} ({c.productCount})
            </option>
          ))}
        </select>
        <select name="sort" value={sort} onChange={(e) => setSort(e.currentTarget.value as ProductQuery['sort'])} aria-label="Sort">
          <option value="">{q ? 'Best match' : 'Newest'}</option>
          <option value="price">Price: low to high</option>
          <option value="-price">Price: high to low</option>
          <option value="name">Name</option>
          <option value="rating">Best rated</option>
        </select>
      </div>
      <ErrorBox error={error} onRetry={() => (setProducts(null), setAttempt((n) => n + 1))} />
      {products === null ? (
        <SkeletonCards />
      ) : products.length === 0 ? (
        !error &&
        (q || category ? (
          <Empty>
            No products match.{' '}
            <button class="secondary" onClick={() => (setQ(''), setCategory(''))}>
              Clear the search
            </button>
          </Empty>
        ) : (
          <Empty>The shop has no products yet. Come back soon.</Empty>
        ))
      ) : (
        <ul class="grid">
          {products.map((p) => {
            const left = p.available - inCart(p.id)
            return (
              <li key={p.id} class="card product" data-product={p.name}>
                <a class="product-link" href={`#/products/${p.id}`}>
                  {p.images[0] ? (
                    <img src={p.images[0].thumbnailUrl} width={p.images[0].thumbnailWidth} height={p.images[0].thumbnailHeight} alt="" loading="lazy" />
                  ) : (
                    <span class="placeholder" aria-hidden="true">
                      {p.name.slice(0, 1)}
                    </span>
                  )}
                  <h2 class="product-name">{p.name}</h2>
                </a>
                <p class="muted">{p.category}</p>
                <Stars average={p.rating.average} count={p.rating.count} />
                <p class="price">{formatMoney(p.price, p.currency)}</p>
                <p class={p.available > 0 ? 'stock' : 'stock out'}>{p.available > 0 ? `${p.available} in stock` : 'Out of stock'}</p>
                <button onClick={() => onAdd(p)} disabled={left <= 0}>
                  Add to cart
                </button>
              </li>
            )
          })}
        </ul>
      )}
      {cursor && (
        <button
          class="secondary"
          onClick={async () => {
            try {
              const page = await api.products({ q: q.trim() || undefined, category: category || undefined, sort: sort || undefined, cursor })
              setProducts((list) => [...(list ?? []), ...page.items])
              setCursor(page.nextCursor)
            } catch (e) {
              setError(e)
            }
          }}
        >
          Show more
        </button>
      )}
    </main>
  )
}
