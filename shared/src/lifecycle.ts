/** Process lifecycle for `main.ts` and worker entries: ordered, bounded, once-only shutdown. */
import type { Logger } from './logger.ts'

export interface ShutdownStep {
  name: string
  run: () => Promise<unknown> | unknown
}

/**
 * On SIGINT/SIGTERM runs `steps` in order, each bounded by `stepTimeoutMs` (a step that hangs,
 * such as closing a client whose server is gone, must not keep the process alive), then exits.
 */
export function onShutdown(log: Logger, steps: ShutdownStep[], stepTimeoutMs = 5000): void {
  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info('shutting down', { signal })
    let code = 0
    for (const step of steps) {
      let timer: ReturnType<typeof setTimeout> | undefined
      try {
        await Promise.race([
          Promise.resolve().then(step.run),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`timed out after ${stepTimeoutMs} ms`)), stepTimeoutMs)
          }),
        ])
      } catch (error) {
        code = 1
        log.error('shutdown step failed', { step: step.name, error: error instanceof Error ? error.message : String(error) })
      } finally {
        clearTimeout(timer)
      }
    }
    log.info('stopped', { signal })
    process.exit(code)
  }
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))
}

/**
 * Runs `fn` as the process entry: a configuration or start-up failure is printed as one clear
 * line and the process exits 1 instead of dumping a stack.
 */
export async function runMain(service: string, fn: () => Promise<void>): Promise<void> {
  try {
    await fn()
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error)
    process.stderr.write(`[${service}] failed to start: ${message}\n`)
    process.exit(1)
  }
}
