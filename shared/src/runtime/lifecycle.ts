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

/** A URL fit for logs: the password replaced by `***`. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return '(unparseable URL)'
  }
}

/**
 * Runs `task` every `intervalMs` (pruning, reconciling), logging what it reports and never
 * letting a failure escape. Returns the shutdown step that stops it.
 */
export function every(log: Logger, name: string, intervalMs: number, task: () => Promise<number>): ShutdownStep {
  const timer = setInterval(() => {
    task()
      .then((count) => count > 0 && log.info(name, { count }))
      .catch((error) => log.warn(`${name} failed`, { error: error instanceof Error ? error.message : String(error) }))
  }, intervalMs)
  return { name: `stop ${name}`, run: () => clearInterval(timer) }
}

/** What `listenAlone` needs to say which port is taken and how to choose another. */
export interface ListenOptions {
  port: number
  hostname: string
  /** Who listens, for the message: "the orders API". */
  what: string
  /** The variable that sets the port, for the message: "ORDERS_PORT". */
  portEnv: string
  [option: string]: unknown
}

/** The message for a port another process holds. */
export function portTakenMessage(port: number, what: string, portEnv: string): string {
  return `port ${port} is already in use, so ${what} cannot listen on it: another shop or program holds it. Stop that one, or set ${portEnv} to a free port.`
}

/**
 * `app.listen` on a port of its own. Elysia asks Bun for a shared port by default (SO_REUSEPORT),
 * so a second shop started by mistake would quietly take half of the first one's requests; here
 * a port that is taken stops the start with a message naming it.
 */
export function listenAlone<A extends { listen(options: Record<string, unknown>): A }>(app: A, options: ListenOptions): A {
  const { what, portEnv, ...serve } = options
  try {
    // Bun's own body limit answers a bare 413 without calling the app; every app of ours checks
    // the size itself and answers a problem (http/request-guards.ts; the gateway's proxy).
    return app.listen({ maxRequestBodySize: Number.MAX_SAFE_INTEGER, ...serve, reusePort: false })
  } catch (error) {
    if ((error as { code?: string }).code === 'EADDRINUSE') throw new Error(portTakenMessage(options.port, what, portEnv))
    throw error
  }
}

/** True when `port` can be listened on alone at `hostname` (nothing holds it), false otherwise. */
export function portFree(port: number, hostname = '0.0.0.0'): boolean {
  try {
    Bun.serve({ port, hostname, reusePort: false, fetch: () => new Response() }).stop(true)
    return true
  } catch {
    return false
  }
}

/** Logs where a freshly listening service answers and how long it took to start. */
export function announce(log: Logger, server: { port?: number } | null | undefined, host: string, startedAt: number): void {
  log.info('listening', {
    url: `http://${host}:${server?.port}`,
    swagger: `http://localhost:${server?.port}/swagger`,
    startupMs: Math.round(performance.now() - startedAt),
  })
}
