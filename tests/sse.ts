/** A small SSE client over fetch, for tests and the benchmark (headers allowed, unlike EventSource). */
export interface SseEvent {
  id?: string
  event?: string
  data: string
}

export interface SseConnection {
  status: number
  contentType: string | null
  /** Resolves with the next event (comments and the retry field are skipped). */
  next(timeoutMs?: number): Promise<SseEvent>
  close(): void
}

export async function openSse(url: string, headers: Record<string, string>): Promise<SseConnection> {
  const controller = new AbortController()
  const response = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal })
  const reader = response.body!.getReader()
  const decoder = new TextDecoder()
  let buffer = ''
  const queue: SseEvent[] = []

  async function fill(deadline: number): Promise<void> {
    while (queue.length === 0) {
      const remaining = deadline - Date.now()
      if (remaining <= 0) throw new Error('no SSE event in time')
      let timer: ReturnType<typeof setTimeout> | undefined
      const chunk = await Promise.race([
        reader.read(),
        new Promise<undefined>((resolve) => {
          timer = setTimeout(() => resolve(undefined), remaining)
        }),
      ]).finally(() => clearTimeout(timer))
      if (!chunk) throw new Error('no SSE event in time')
      if (chunk.done) throw new Error('SSE stream ended')
      buffer += decoder.decode(chunk.value, { stream: true })
      let end: number
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end)
        buffer = buffer.slice(end + 2)
        const event: SseEvent = { data: '' }
        let hasData = false
        for (const line of block.split('\n')) {
          if (line.startsWith(':') || line === '') continue
          const colon = line.indexOf(':')
          const field = colon < 0 ? line : line.slice(0, colon)
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '')
          if (field === 'data') {
            event.data += (hasData ? '\n' : '') + value
            hasData = true
          } else if (field === 'id') event.id = value
          else if (field === 'event') event.event = value
        }
        if (hasData) queue.push(event)
      }
    }
  }

  return {
    status: response.status,
    contentType: response.headers.get('content-type'),
    async next(timeoutMs = 10_000) {
      await fill(Date.now() + timeoutMs)
      return queue.shift()!
    },
    close: () => controller.abort(),
  }
}
