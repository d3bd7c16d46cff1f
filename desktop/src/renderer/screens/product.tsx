/**
 * A product's page (`#/products/<id>`, shareable): its gallery, price for the locale, stock,
 * quantity and add to cart; its rating with the histogram, its reviews (sorted, in pages), and
 * "write a review" for a customer who received it (a plain word on why not for anyone else).
 */
import { useEffect, useState } from 'preact/hooks'
import type { MyReview, Product, RatingSummary, Review, ReviewSort, User } from '../../shared/api.ts'
import { api } from '../api.ts'
import { formatMoney } from '../money.ts'
import { Empty, ErrorBox, NotFound, day, isNotFound } from '../ui.tsx'

/** An average over `count` reviews; without `count`, one review's rating (stars only). */
export function Stars({ average, count }: { average: number | null; count?: number }) {
  if (count === 0 || average === null) return <span class="stars muted">No reviews yet</span>
  const full = Math.round(average)
  const label = count === undefined ? `Rated ${average} out of 5` : `Rated ${average} out of 5 by ${count} ${count === 1 ? 'customer' : 'customers'}`
  return (
    <span class="stars" role="img" aria-label={label}>
      <span aria-hidden="true">
        {'★'.repeat(full)}
        <span class="off">{'★'.repeat(5 - full)}</span>
      </span>
      {count !== undefined && (
        <>
          {' '}
          <span aria-hidden="true" class="muted">
            {average.toFixed(1)} ({count})
          </span>
        </>
      )}
    </span>
  )
}

function Gallery({ product }: { product: Product }) {
  const [shown, setShown] = useState(0)
  const image = product.images[shown]
  if (!image)
    return (
      <div class="gallery-main placeholder" role="img" aria-label={`No picture of ${product.name} yet`}>
        <span aria-hidden="true">{product.name.slice(0, 1)}</span>
      </div>
    )
  return (
    <div class="gallery">
      <img class="gallery-main" src={image.url} width={image.width} height={image.height} alt={product.name} style={{ aspectRatio: `${image.width} / ${image.height}` }} />
      {product.images.length > 1 && (
        <ul class="thumbs">
          {product.images.map((img, i) => (
            <li key={img.id}>
              <button class={i === shown ? 'thumb current' : 'thumb'} aria-pressed={i === shown} aria-label={`Picture ${i + 1} of ${product.images.length}`} onClick={() => setShown(i)}>
                <img src={img.thumbnailUrl} width={img.thumbnailWidth} height={img.thumbnailHeight} alt="" />
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

function Histogram({ summary }: { summary: RatingSummary }) {
  return (
    <table class="histogram">
      <caption class="visually-hidden">How many customers gave each rating</caption>
      <tbody>
        {(['5', '4', '3', '2', '1'] as const).map((stars) => {
          const n = summary.histogram[stars]
          const share = summary.count ? Math.round((n / summary.count) * 100) : 0
          return (
            <tr key={stars}>
              <th scope="row">{stars} ★</th>
              <td class="bar-cell">
                <span class="track">{n > 0 && <span class="bar" style={{ width: `${share}%` }} />}</span>
              </td>
              <td class="num">{n}</td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function ReviewItem({ review }: { review: Review }) {
  return (
    <li class="review">
      <Stars average={review.rating} />
      {review.title && <h3>{review.title}</h3>}
      <p class="review-body">{review.body}</p>
      <p class="muted small">
        {review.author.name}
        {review.verifiedPurchase && <span class="verified"> · Verified purchase</span>} · <time dateTime={review.createdAt}>{day(review.createdAt)}</time>
      </p>
    </li>
  )
}

function WriteReview({ product, user, mine, onWritten }: { product: Product; user: User | null; mine: MyReview | null | undefined; onWritten: (review: Review) => void }) {
  const [rating, setRating] = useState(0)
  const [title, setTitle] = useState('')
  const [body, setBody] = useState('')
  const [error, setError] = useState<unknown>(null)
  const [invalid, setInvalid] = useState<string | null>(null)
  const [busy, setBusy] = useState(false)
  if (!user)
    return (
      <p>
        <a href={`#/signin?next=${encodeURIComponent(`/products/${product.id}`)}`}>Sign in</a> to review this product. Only customers who received it may.
      </p>
    )
  if (mine === undefined) return <p class="muted" aria-busy="true">Checking whether you can review it…</p>
  if (mine === null) return null
  if (mine.reason === 'review_exists') return <p class="muted">You have reviewed this product. Thank you.</p>
  if (mine.reason === 'not_a_verified_buyer')
    return <p class="muted">Only customers who received this product may review it, so every review here comes from a real buyer.</p>

  async function submit(event: Event) {
    event.preventDefault()
    setInvalid(rating === 0 ? 'Choose a rating from 1 to 5 stars' : null)
    if (rating === 0) return void (event.currentTarget as HTMLFormElement).querySelector<HTMLInputElement>('input[name=rating]')?.focus()
    setBusy(true)
    setError(null)
    try {
      onWritten(await api.writeReview({ productId: product.id, rating, body, ...(title.trim() ? { title } : {}) }))
    } catch (e) {
      setError(e)
    } finally {
      setBusy(false)
    }
  }

  return (
    <form class="card write-review" onSubmit={submit}>
      <h3>Write a review</h3>
      <fieldset class={`rating-input ${invalid ? 'invalid' : ''}`} aria-describedby={invalid ? 'rating-error' : undefined}>
        <legend>Your rating</legend>
        {[1, 2, 3, 4, 5].map((n) => (
          <label key={n}>
            <input type="radio" name="rating" value={n} checked={rating === n} onChange={() => (setRating(n), setInvalid(null))} />
            {n} {n === 1 ? 'star' : 'stars'}
          </label>
        ))}
      </fieldset>
      {invalid && (
        <p class="error field-error" id="rating-error" role="alert">
          {invalid}
        </p>
      )}
      <label>
        Title (optional)
        <input name="title" maxLength={120} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label>
        Your review
        <textarea name="body" required maxLength={5000} rows={4} value={body} onInput={(e) => setBody(e.currentTarget.value)} />
      </label>
      <ErrorBox error={error} />
      <button type="submit" disabled={busy}>
        {busy ? 'Sending…' : 'Publish review'}
      </button>
    </form>
  )
}

export function ProductScreen({ id, user, onAdd, inCart }: { id: string; user: User | null; onAdd: (product: Product, quantity: number) => void; inCart: (id: string) => number }) {
  const [product, setProduct] = useState<Product | null | undefined>(undefined)
  const [error, setError] = useState<unknown>(null)
  const [quantity, setQuantity] = useState(1)
  const [summary, setSummary] = useState<RatingSummary | null>(null)
  const [sort, setSort] = useState<ReviewSort>('newest')
  const [reviews, setReviews] = useState<Review[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [mine, setMine] = useState<MyReview | null | undefined>(undefined)
  const [added, setAdded] = useState(false)
  const [attempt, setAttempt] = useState(0)

  useEffect(() => {
    setProduct(undefined)
    setError(null)
    api.product(id).then(
      (p) => {
        setProduct(p)
        document.title = `${p.name} · Shop`
      },
      (e) => (setError(e), setProduct(null)),
    )
    api.reviewSummary(id).then(setSummary, () => setSummary(null))
  }, [id, attempt])

  useEffect(() => {
    setReviews(null)
    api.reviews(id, sort).then(
      (page) => (setReviews(page.items), setCursor(page.nextCursor)),
      (e) => (setError(e), setReviews([])),
    )
  }, [id, sort])

  useEffect(() => {
    if (!user) return setMine(undefined)
    api.myReview(id).then(setMine, () => setMine(null))
  }, [id, user])

  if (product === undefined)
    return (
      <main class="product-page" aria-busy="true">
        <p class="breadcrumb skeleton-text">All products</p>
        <div class="product-layout">
          <div class="gallery-main skeleton" />
          <div class="buy">
            <h1 class="skeleton-text">Loading the product…</h1>
            <p class="skeleton-text">Rating</p>
            <p class="price big skeleton-text">Price</p>
            <p class="skeleton-text">In stock</p>
            <div class="add skeleton" style={{ height: '44px' }} />
          </div>
        </div>
      </main>
    )
  if (product === null)
    return isNotFound(error) ? (
      <NotFound title="Product not found">
        <p>It may have been removed from the shop.</p>
      </NotFound>
    ) : (
      <main>
        <h1 tabIndex={-1}>Product</h1>
        <ErrorBox error={error} onRetry={() => setAttempt((n) => n + 1)} />
      </main>
    )

  const left = product.available - inCart(product.id)
  const max = Math.max(0, Math.min(10, left))
  return (
    <main class="product-page">
      <p class="breadcrumb">
        <a href="#/">All products</a> › <span>{product.category}</span>
      </p>
      <div class="product-layout">
        <Gallery product={product} />
        <div class="buy">
          <h1 tabIndex={-1}>{product.name}</h1>
          <Stars average={product.rating.average} count={product.rating.count} />
          <p class="price big">{formatMoney(product.price, product.currency)}</p>
          <p class={product.available > 0 ? 'stock' : 'stock out'}>{product.available > 0 ? `${product.available} in stock` : 'Out of stock'}</p>
          {max > 0 && (
            <div class="add">
              <label>
                Quantity
                <select name="quantity" value={quantity} onChange={(e) => setQuantity(Number(e.currentTarget.value))}>
                  {Array.from({ length: max }, (_, i) => i + 1).map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
                </select>
              </label>
              <button onClick={() => (onAdd(product, Math.min(quantity, max)), setAdded(true))}>Add to cart</button>
            </div>
          )}
          {added && (
            <p class="success" role="status">
              Added. <a href="#/cart">Go to cart</a>
            </p>
          )}
          <p class="description">{product.description}</p>
        </div>
      </div>

      <section class="reviews" aria-labelledby="reviews-heading">
        <h2 id="reviews-heading">Customer reviews</h2>
        {summary && summary.count > 0 && (
          <div class="summary">
            <p class="average">
              <Stars average={summary.average} count={summary.count} />
            </p>
            <Histogram summary={summary} />
          </div>
        )}
        <WriteReview
          product={product}
          user={user}
          mine={mine}
          onWritten={(review) => {
            setReviews((list) => [review, ...(list ?? [])])
            setMine({ productId: product.id, canReview: false, reason: 'review_exists', review })
            api.reviewSummary(product.id).then(setSummary, () => {})
          }}
        />
        {reviews && reviews.length > 0 && (
          <label class="sort">
            Sort reviews
            <select name="review-sort" value={sort} onChange={(e) => setSort(e.currentTarget.value as ReviewSort)}>
              <option value="newest">Newest first</option>
              <option value="highest">Highest rated</option>
              <option value="lowest">Lowest rated</option>
            </select>
          </label>
        )}
        {reviews === null ? (
          <p class="muted" aria-busy="true">
            Loading reviews…
          </p>
        ) : reviews.length === 0 ? (
          <Empty>No reviews yet.</Empty>
        ) : (
          <ul class="review-list">
            {reviews.map((r) => (
              <ReviewItem key={r.id} review={r} />
            ))}
          </ul>
        )}
        {cursor && (
          <button
            class="secondary"
            onClick={async () => {
              try {
                const page = await api.reviews(product.id, sort, cursor)
                setReviews((list) => [...(list ?? []), ...page.items])
                setCursor(page.nextCursor)
              } catch (e) {
                setError(e)
              }
            }}
          >
            Show more reviews
          </button>
        )}
      </section>
    </main>
  )
}
