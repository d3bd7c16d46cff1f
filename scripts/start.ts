/**
 * `bun run start`: the whole system on this machine. Checks that Postgres and Redis answer (and
 * says how to start them when they do not), runs every process as a child with prefixed logs,
 * announces the URLs once every service is ready, and stops every child on Ctrl-C / SIGTERM.
 * If one child dies, the others are stopped too: a half-running shop hides the failure.
 */
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import postgres from 'postgres'
import { Redis } from 'ioredis'
import { portFree, portTakenMessage, redactUrl } from '@shop/shared/lifecycle'
import { PROCESSES, localServiceEnv, type ProcessSpec } from './processes.ts'

const ROOT = join(import.meta.dir, '..')
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres'
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379'
const STOP_GRACE_MS = 10_000
const READY_TIMEOUT_MS = 60_000

const COLORS = [36, 35, 33, 32, 34, 31, 96, 95]
const useColor = process.stdout.isTTY && !process.env.NO_COLOR
const width = Math.max(5, ...PROCESSES.map((p) => p.name.length))
const tag = (name: string, index: number) => {
  const label = name.padEnd(width)
  return useColor ? `\x1b[${COLORS[index % COLORS.length]}m${label}\x1b[0m |` : `${label} |`
}
const say = (line: string) => process.stdout.write(`${tag('start', 7)} ${line}\n`)

async function checkPostgres(): Promise<string | undefined> {
  const sql = postgres(DATABASE_URL, { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await sql`select 1`
    return undefined
  } catch (error) {
    return (
      `PostgreSQL at ${redactUrl(DATABASE_URL)} does not answer (${(error as Error).message}).\n` +
      `  Set DATABASE_URL to a reachable server, or start the local one, e.g.\n` +
      `    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n` +
      `  (or: docker run -d -p 5432:5432 -e POSTGRES_HOST_AUTH_METHOD=trust postgres:16)`
    )
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {})
  }
}

async function checkRedis(): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    return undefined
  } catch (error) {
    return (
      `Redis at ${redactUrl(REDIS_URL)} does not answer (${(error as Error).message}).\n` +
      `  Set REDIS_URL to a reachable server, or start the local one, e.g.\n` +
      `    redis-server --daemonize yes --bind 127.0.0.1 --port 6379\n` +
      `  (or: docker run -d -p 6379:6379 redis:7)`
    )
  } finally {
    redis.disconnect()
  }
}

async function pipeLines(stream: ReadableStream<Uint8Array>, prefix: string, out: NodeJS.WriteStream) {
  const decoder = new TextDecoder()
  let buffered = ''
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    buffered += decoder.decode(value, { stream: true })
    let newline: number
    while ((newline = buffered.indexOf('\n')) >= 0) {
      out.write(`${prefix} ${buffered.slice(0, newline)}\n`)
      buffered = buffered.slice(newline + 1)
    }
  }
  if (buffered) out.write(`${prefix} ${buffered}\n`)
}

interface Running {
  spec: ProcessSpec
  child: ReturnType<typeof Bun.spawn>
  done: Promise<void>
}

const running: Running[] = []
let stopping = false

async function stopAll(reason: string, code: number): Promise<never> {
  if (stopping) return new Promise<never>(() => {})
  stopping = true
  say(`stopping (${reason})`)
  for (const r of running) if (r.child.exitCode === null) r.child.kill('SIGTERM')
  const timer = setTimeout(() => {
    for (const r of running)
      if (r.child.exitCode === null) {
        say(`${r.spec.name} did not stop within ${STOP_GRACE_MS / 1000} s: killing pid ${r.child.pid}`)
        r.child.kill('SIGKILL')
      }
  }, STOP_GRACE_MS)
  await Promise.all(running.map((r) => r.child.exited))
  clearTimeout(timer)
  await Promise.all(running.map((r) => r.done))
  say('all processes stopped')
  process.exit(code)
}

async function waitReady(spec: ProcessSpec, port: number): Promise<boolean> {
  const deadline = Date.now() + READY_TIMEOUT_MS
  while (Date.now() < deadline && !stopping) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/ready`, { signal: AbortSignal.timeout(2000) })
      if (res.ok) return true
    } catch {}
    await Bun.sleep(250)
  }
  return false
}

async function main() {
  process.on('SIGINT', () => void stopAll('SIGINT', 0))
  process.on('SIGTERM', () => void stopAll('SIGTERM', 0))

  // A port another shop (or program) holds stops the start before anything runs: listening beside
  // it would split requests between two shops.
  const taken = PROCESSES.filter((p) => p.portEnv)
    .map((p) => ({ spec: p, port: Number(process.env[p.portEnv!] || p.defaultPort) }))
    .filter(({ port }) => !portFree(port, process.env.HOST || '0.0.0.0'))
  if (taken.length) {
    for (const { spec, port } of taken) process.stderr.write(`${portTakenMessage(port, spec.name === 'gateway' ? 'the gateway' : `the ${spec.name} API`, spec.portEnv!)}\n`)
    process.stderr.write('Nothing was started.\n')
    process.exit(1)
  }

  const problems = (await Promise.all([checkPostgres(), checkRedis()])).filter((p): p is string => !!p)
  if (problems.length) {
    for (const problem of problems) process.stderr.write(`${problem}\n`)
    process.stderr.write('The shop needs PostgreSQL and Redis; nothing was started.\n')
    process.exit(1)
  }

  // The gateway serves the web build of the desktop renderer at /: build it on a fresh clone.
  if (!existsSync(join(ROOT, 'desktop', 'dist-web', 'index.html'))) {
    say('building the web UI (desktop/dist-web)')
    const build = Bun.spawnSync(['bun', 'run', 'build:web'], { cwd: ROOT, stdout: 'ignore', stderr: 'pipe' })
    if (build.exitCode !== 0) say(`the web UI could not be built; the gateway shows a placeholder:\n${build.stderr.toString()}`)
  }

  const env = { ...process.env, DATABASE_URL, REDIS_URL, DEMO_DATA: process.env.DEMO_DATA ?? '1', ...localServiceEnv(process.env) }
  PROCESSES.forEach((spec, index) => {
    // CPU_PROFILE_DIR=dir: every process writes a CPU profile there when it stops (Chrome DevTools
    // format; `bun run profile:summary dir` lists where the samples fall).
    const profile = process.env.CPU_PROFILE_DIR
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.CPU_PROFILE_DIR}`, `--cpu-prof-name=${spec.name}.cpuprofile`]
      : []
    const child = Bun.spawn(['bun', ...profile, join(ROOT, spec.entry)], {
      cwd: ROOT,
      env: { ...env, ...spec.env },
      stdout: 'pipe',
      stderr: 'pipe',
      stdin: 'ignore',
    })
    const prefix = tag(spec.name, index)
    const done = Promise.all([
      pipeLines(child.stdout as ReadableStream<Uint8Array>, prefix, process.stdout),
      pipeLines(child.stderr as ReadableStream<Uint8Array>, prefix, process.stderr),
    ]).then(() => {})
    running.push({ spec, child, done })
    say(`${spec.name} started, pid ${child.pid}`)
    void child.exited.then((exitCode) => {
      if (!stopping) void stopAll(`${spec.name} exited with code ${exitCode}`, 1)
    })
  })

  const withPorts = PROCESSES.filter((p) => p.portEnv).map((p) => ({ spec: p, port: Number(process.env[p.portEnv!] || p.defaultPort) }))
  const ready = await Promise.all(withPorts.map(({ spec, port }) => waitReady(spec, port)))
  if (stopping) return
  const notReady = withPorts.filter((_, i) => !ready[i]).map(({ spec }) => spec.name)
  if (notReady.length) return void stopAll(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')}`, 1)
  const gateway = `http://localhost:${process.env.GATEWAY_PORT || 8080}`
  say('the shop is up:')
  say(`  web UI           ${gateway}/`)
  say(`  API docs         ${gateway}/swagger   (every service; each also at its own /swagger)`)
  say(`  queue dashboard  ${gateway}/admin/queues   (admins; set ADMIN_EMAIL and ADMIN_PASSWORD for one)`)
  for (const { spec, port } of withPorts) if (spec.name !== 'gateway') say(`  ${spec.name.padEnd(16)} http://localhost:${port}`)
  say('press Ctrl-C to stop')
}

await main()
