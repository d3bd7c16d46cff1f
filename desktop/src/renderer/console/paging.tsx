/** A list the console reads in pages: the first page when `deps` change, more on request. */
import { useEffect, useState } from 'preact/hooks'
import type { Page } from '../../shared/api.ts'

export function usePaged<T>(read: (cursor?: string) => Promise<Page<T>>, deps: unknown[]) {
  const [items, setItems] = useState<T[] | null>(null)
  const [cursor, setCursor] = useState<string | null>(null)
  const [error, setError] = useState<unknown>(null)
  const [attempt, setAttempt] = useState(0)
  const [busy, setBusy] = useState(false)

  useEffect(() => {
    let cancelled = false
    setItems(null)
    read().then(
      (page) => {
        if (cancelled) return
        setItems(page.items)
        setCursor(page.nextCursor)
        setError(null)
      },
      (e) => !cancelled && setError(e),
    )
    return () => {
      cancelled = true
    }
  }, [...deps, attempt])

  return {
    items,
    setItems,
    cursor,
    error,
    setError,
    /** Reads the first page again (after a failure, or a change made here). */
    reload: () => setAttempt((n) => n + 1),
    async more() {
      if (!cursor || busy) return
      setBusy(true)
      try {
        const page = await read(cursor)
        setItems((list) => [...(list ?? []), ...page.items])
        setCursor(page.nextCursor)
      } catch (e) {
        setError(e)
      } finally {
        setBusy(false)
      }
    },
    busy,
  }
}

/** "Show more …" under a paged list, while there is more. */
export function ShowMore({ list, label }: { list: { cursor: string | null; busy: boolean; more: () => Promise<void> }; label: string }) {
  if (!list.cursor) return null
  return (
    <button type="button" class="secondary more" disabled={list.busy} onClick={() => void list.more()}>
      {label}
    </button>
  )
}
