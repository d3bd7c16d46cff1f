/**
 * Review moderation: every review, newest first (or only the visible or hidden ones), each with
 * Hide or Show again. A hidden review leaves the product's page and its rating within seconds;
 * showing it again brings both back. Both steps are idempotent on the server.
 */
import { useState } from 'preact/hooks'
import type { AdminReview } from '../../shared/api.ts'
import { api } from '../api.ts'
import { Stars } from '../screens/product.tsx'
import { Empty, ErrorBox, SkeletonRows, when } from '../ui.tsx'
import { ShowMore, usePaged } from './paging.tsx'

const FILTERS: [value: string, label: string][] = [
  ['', 'All reviews'],
  ['false', 'Shown in the shop'],
  ['true', 'Hidden'],
]

export function ReviewModeration({ hidden }: { hidden: string }) {
  const [busy, setBusy] = useState<string | null>(null)
  const [said, setSaid] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const filter = hidden === 'true' ? true : hidden === 'false' ? false : undefined
  const list = usePaged((cursor) => api.adminReviews({ hidden: filter, cursor }), [hidden])
  const reviews = list.items

  const toggle = async (review: AdminReview) => {
    setBusy(review.id)
    setError(null)
    try {
      const changed = await api.setReviewHidden(review.id, !review.hidden)
      list.setItems((items) => (items ?? []).map((r) => (r.id === changed.id ? changed : r)))
      setSaid(changed.hidden ? `The review by ${changed.author.name} is hidden; the product's rating follows in a moment.` : `The review by ${changed.author.name} shows again.`)
    } catch (e) {
      setError(e)
    } finally {
      setBusy(null)
    }
  }

  return (
    <main>
      <h1 tabIndex={-1}>Reviews</h1>
      <div class="console-filters">
        <label>
          Show
          <select name="hidden" value={hidden} onChange={(e) => (location.hash = `/admin/reviews${e.currentTarget.value ? `?hidden=${e.currentTarget.value}` : ''}`)}>
            {FILTERS.map(([value, label]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <p class="success" role="status">
        {said}
      </p>
      <ErrorBox error={list.error} onRetry={list.reload} />
      <ErrorBox error={error} />
      {reviews === null ? (
        !list.error && <SkeletonRows count={3} height="6rem" label="Loading reviews…" />
      ) : reviews.length === 0 ? (
        <Empty>{filter === true ? 'No hidden reviews.' : 'No reviews yet.'}</Empty>
      ) : (
        <ul class="review-list moderation">
          {reviews.map((r) => (
            <li key={r.id} class={r.hidden ? 'review hidden-review' : 'review'} data-review={r.id}>
              <div class="review-head">
                <Stars average={r.rating} />
                {r.hidden && <span class="badge badge-cancelled">Hidden</span>}
              </div>
              {r.title && <h2 class="review-title">{r.title}</h2>}
              <p class="review-body">{r.body}</p>
              <p class="muted small">
                {r.author.name}
                {r.verifiedPurchase ? ' · verified purchase' : ''} · {when(r.createdAt)} · <a href={`#/products/${r.productId}`}>the product</a>
              </p>
              <button class="secondary" disabled={busy === r.id} onClick={() => toggle(r)}>
                {r.hidden ? 'Show again' : 'Hide'}
                <span class="visually-hidden"> the review by {r.author.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <ShowMore list={list} label="Show older reviews" />
    </main>
  )
}
