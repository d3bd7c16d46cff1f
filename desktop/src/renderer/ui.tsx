/** Small shared pieces: errors, loading, status badges, money. */
import type { ComponentChildren } from 'preact'
import { ApiError, type OrderStatus } from '../shared/api.ts'
import { formatMoney } from './money.ts'

/** A readable message for anything thrown: the problem's detail, never a raw dump. */
export function messageOf(error: unknown): string {
  if (error instanceof ApiError) return error.problem.detail
  if (error && typeof error === 'object' && 'problem' in error) return String((error as { problem: { detail: string } }).problem.detail)
  // Errors crossing the Electron bridge arrive as plain Errors carrying the problem as JSON.
  if (error instanceof Error) {
    try {
      const problem = JSON.parse(error.message.replace(/^.*?(\{.*\})$/s, '$1')) as { detail?: string }
      if (problem.detail) return problem.detail
    } catch {}
    return 'Something went wrong. Please try again.'
  }
  return 'Something went wrong. Please try again.'
}

export function ErrorBox({ error }: { error: unknown }) {
  if (!error) return null
  return (
    <p class="error" role="alert">
      {messageOf(error)}
    </p>
  )
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <p class="muted" aria-busy="true">
      {label}
    </p>
  )
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>
}

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

