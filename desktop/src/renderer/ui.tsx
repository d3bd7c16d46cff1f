/** Small shared pieces: errors, loading, status badges, money. */
import type { ComponentChildren } from 'preact'
import { useEffect, useRef } from 'preact/hooks'
import { ApiError, type OrderStatus } from '../shared/api.ts'
import { formatMoney } from './money.ts'

interface ProblemLike {
  status?: number
  code?: string
  detail: string
  /** A 422's wrong fields, each in words. */
  errors?: { field: string; message: string }[]
}

/** The problem behind anything thrown, in the browser (an ApiError) or across the Electron bridge (JSON in the message). */
export function problemOf(error: unknown): ProblemLike | null {
  if (error instanceof ApiError) return error.problem
  if (error && typeof error === 'object' && 'problem' in error) return (error as { problem: ProblemLike }).problem
  if (error instanceof Error) {
    try {
      const problem = JSON.parse(error.message.replace(/^.*?(\{.*\})$/s, '$1')) as Partial<ProblemLike>
      if (typeof problem.detail === 'string') return problem as ProblemLike
    } catch {}
  }
  return null
}

/** A readable message for anything thrown: the problem's detail, never a raw dump. */
export function messageOf(error: unknown): string {
  return problemOf(error)?.detail ?? 'Something went wrong. Please try again.'
}

/** Nothing there for this address: not found, or an id that cannot be one (422). */
export const isNotFound = (error: unknown) => [404, 422].includes(problemOf(error)?.status ?? 0)

/** The error in words; with `onRetry`, a "Try again" beside it (a failed load, not a refused form). */
export function ErrorBox({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  if (!error) return null
  if (!onRetry)
    return (
      <p class="error" role="alert">
        {messageOf(error)}
      </p>
    )
  return (
    <div class="error-box">
      <p class="error" role="alert">
        {messageOf(error)}
      </p>
      <button type="button" class="secondary retry" onClick={onRetry}>
        Try again
      </button>
    </div>
  )
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="muted" aria-busy="true">
      {label}
    </p>
  )
}

/**
 * Placeholders the size of what they stand for, so nothing moves when it arrives: product cards
 * (a square picture and the card's lines), or rows of a given height. Screen readers hear the label.
 */
export function SkeletonCards({ count = 6, label = 'Loading products…' }: { count?: number; label?: string }) {
  return (
    <div aria-busy="true">
      <p class="visually-hidden" role="status">
        {label}
      </p>
      <ul class="grid" aria-hidden="true">
        {Array.from({ length: count }, (_, i) => (
          <li key={i} class="card product skeleton-card">
            {/* The lines of a real card (catalog.tsx) with their classes, so the heights are the same. */}
            <span class="product-link">
              <span class="picture skeleton" />
              <h2 class="product-name">
                <span class="skeleton-text">Product name</span>
              </h2>
            </span>
            <p class="muted">
              <span class="skeleton-text">Category</span>
            </p>
            <span class="stars">
              <span class="skeleton-text">★★★★★ 0.0 (0)</span>
            </span>
            <p class="price">
              <span class="skeleton-text">€00.00</span>
            </p>
            <p class="stock">
              <span class="skeleton-text">00 in stock</span>
            </p>
            <span class="button skeleton" />
          </li>
        ))}
      </ul>
    </div>
  )
}

export function SkeletonRows({ count = 3, height = '3.5rem', label = 'Loading…' }: { count?: number; height?: string; label?: string }) {
  return (
    <div aria-busy="true">
      <p class="visually-hidden" role="status">
        {label}
      </p>
      {Array.from({ length: count }, (_, i) => (
        <div key={i} class="skeleton skeleton-row" style={{ height }} aria-hidden="true" />
      ))}
    </div>
  )
}

/** A page that does not exist (an unknown address, an order or product that is not there). */
export function NotFound({ title = 'Page not found', children }: { title?: string; children?: ComponentChildren }) {
  return (
    <main class="not-found">
      <h1 tabIndex={-1}>{title}</h1>
      {children ?? <p>The address may be mistyped, or the page was moved.</p>}
      <p>
        <a href="#/">Go to the shop</a>
      </p>
    </main>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}

/** A moment, the same way on every screen: "Dec 1, 2026, 10:53 AM" in the reader's locale. */
let momentFormat: Intl.DateTimeFormat | undefined
let dayFormat: Intl.DateTimeFormat | undefined
/** A moment, the same way on every screen: "Dec 1, 2026, 10:53 AM" in the reader's locale (one formatter, made when first needed). */
export const when = (iso: string) => (momentFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' })).format(new Date(iso))
/** A day: "Dec 1, 2026". */
export const day = (iso: string) => (dayFormat ??= new Intl.DateTimeFormat(undefined, { dateStyle: 'medium' })).format(new Date(iso))

export function Money({ minor, currency }: { minor: number; currency: string }) {
  return <span class="money">{formatMoney(minor, currency)}</span>
}

export function StatusBadge({ status }: { status: OrderStatus }) {
  return (
    <span class={`badge badge-${status.toLowerCase()}`} data-status={status}>
      {status}
    </span>
  )
}

/** A modal confirmation (the native dialog: focus stays inside, and returns where it was on close). */
export function Confirm({
  id,
  open,
  title,
  children,
  confirm,
  cancel,
  busy,
  onConfirm,
  onClose,
  tone = 'danger',
}: {
  id: string
  open: boolean
  title: string
  children: ComponentChildren
  confirm: string
  cancel: string
  busy: boolean
  onConfirm: () => void
  onClose: () => void
  /** The confirming button: `danger` for what cannot be undone (the default), `primary` otherwise. */
  tone?: 'danger' | 'primary'
}) {
  const ref = useRef<HTMLDialogElement>(null)
  useEffect(() => {
    const dialog = ref.current
    if (!dialog) return
    if (open && !dialog.open) dialog.showModal()
    if (!open && dialog.open) dialog.close()
  }, [open])
  return (
    <dialog ref={ref} aria-labelledby={`${id}-title`} onClose={onClose} onCancel={onClose}>
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault()
          onConfirm()
        }}
      >
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
        <div class="dialog-actions">
          <button type="button" class="secondary" onClick={onClose}>
            {cancel}
          </button>
          <button type="submit" class={tone === 'danger' ? 'danger' : undefined} disabled={busy}>
            {confirm}
          </button>
        </div>
      </form>
    </dialog>
  )
}

/**
 * What a page shows until its subject has loaded: a not-found page (`notFound`: the words and a
 * way back), the error with "Try again", or placeholders of its size while it loads.
 */
export function PageLoading({ error, title, notFoundTitle, notFound, onRetry }: { error: unknown; title: string; notFoundTitle: string; notFound: ComponentChildren; onRetry: () => void }) {
  if (error && isNotFound(error)) return <NotFound title={notFoundTitle}>{notFound}</NotFound>
  if (error)
    return (
      <main>
        <h1 tabIndex={-1}>{title}</h1>
        <ErrorBox error={error} onRetry={onRetry} />
      </main>
    )
  return (
    <main aria-busy="true">
      <h1 class="skeleton-text">Loading the {title.toLowerCase()}…</h1>
      <SkeletonRows count={3} height="3rem" label={`Loading the ${title.toLowerCase()}…`} />
    </main>
  )
}
