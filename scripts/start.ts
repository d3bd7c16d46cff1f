/**
 * `bun run start`: the whole system on this machine. Finds PostgreSQL and Redis (DATABASE_URL and
 * REDIS_URL, else 127.0.0.1; when nothing answers there it runs an embedded PostgreSQL and a private
 * redis-server, see local-deps.ts), runs every process as a child with prefixed logs,
 * announces the URLs once every service is ready, and stops every child on Ctrl-C / SIGTERM.
 * If one child dies, the others are stopped too: a half-running shop hides the failure.
 */
import { existsSync } from 'node:fs'
import { join, relative, resolve } from 'node:path'
import postgres from 'postgres'
import { Redis } from 'ioredis'
import { portFree, portTakenMessage, redactUrl } from '@shop/shared/runtime/lifecycle'
import { localServiceEnv, poolPerInstance, withInstances, type InstanceSpec } from './processes.ts'
import { INSTALL_REDIS, answers, defaultDatabaseUrl, findRedisServer, startEmbeddedPostgres, startPrivateRedis, type LocalDep } from './local-deps.ts'

const ROOT = join(import.meta.dir, '..')
/** Where an embedded PostgreSQL and a private Redis keep their data (git-ignored). */
const DATA_DIR = resolve(process.env.SHOP_DATA_DIR || join(ROOT, '.data'))
/** The local ports looked at when DATABASE_URL / REDIS_URL are not set, and used by what start runs. */
const LOCAL_POSTGRES_PORT = Number(process.env.LOCAL_POSTGRES_PORT || 5432)
const LOCAL_REDIS_PORT = Number(process.env.LOCAL_REDIS_PORT || 6379)
const STOP_GRACE_MS = 10_000
const READY_TIMEOUT_MS = 60_000

/**
 * How many instances of each API service and worker (`bun run start -- --instances 2`, or
 * SHOP_INSTANCES): the gateway spreads requests over them and moves on from one that is down.
 */
function instanceCount(): number {
  const flag = process.argv.indexOf('--instances')
  const text = flag >= 0 ? process.argv[flag + 1] : process.env.SHOP_INSTANCES
  if (text === undefined || text === '') return 1
  const n = Number(text)
  if (!Number.isInteger(n) || n < 1 || n > 8) {
    process.stderr.write(`--instances (or SHOP_INSTANCES) must be a whole number from 1 to 8, got "${text}"\n`)
    process.exit(1)
  }
  return n
}
const INSTANCES = instanceCount()
const PROCESSES: InstanceSpec[] = withInstances(INSTANCES, process.env)

const COLORS = [36, 35, 33, 32, 34, 31, 96, 95]
const useColor = process.stdout.isTTY && !process.env.NO_COLOR
const width = Math.max(5, ...PROCESSES.map((p) => p.name.length))
const tag = (name: string, index: number) => {
  const label = name.padEnd(width)
  return useColor ? `\x1b[${COLORS[index % COLORS.length]}m${label}\x1b[0m |` : `${label} |`
}
const say = (line: string) => process.stdout.write(`${tag('start', 7)} ${line}\n`)

async function checkPostgres(DATABASE_URL: string): Promise<string | undefined> {
  const sql = postgres(DATABASE_URL, { max: 1, connect_timeout: 3, onnotice: () => {} })
  try {
    await sql`select 1`
    return undefined
  } catch (error) {
    return (
      `PostgreSQL at ${redactUrl(DATABASE_URL)} does not answer (${(error as Error).message}).\n` +
      (process.env.DATABASE_URL
        ? `  Set DATABASE_URL to a reachable server, or start it, e.g.\n` +
          `    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n` +
          `  or unset DATABASE_URL: with nothing on 127.0.0.1:${LOCAL_POSTGRES_PORT}, start runs an embedded PostgreSQL.`
        : `  Set DATABASE_URL to a reachable server, or stop what holds 127.0.0.1:${LOCAL_POSTGRES_PORT} so that start runs its own PostgreSQL.`)
    )
  } finally {
    await sql.end({ timeout: 1 }).catch(() => {})
  }
}

async function checkRedis(REDIS_URL: string): Promise<string | undefined> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, connectTimeout: 3000, retryStrategy: () => null })
  redis.on('error', () => {})
  try {
    await redis.connect()
    await redis.ping()
    return undefined
  } catch (error) {
    return (
      `Redis at ${redactUrl(REDIS_URL)} does not answer (${(error as Error).message}).\n` +
      `  Set REDIS_URL to a reachable server${process.env.REDIS_URL ? '' : `, or stop what holds 127.0.0.1:${LOCAL_REDIS_PORT} so that start runs its own redis-server`}.`
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
  spec: InstanceSpec
  child: ReturnType<typeof Bun.spawn>
  done: Promise<void>
}

const running: Running[] = []
/** PostgreSQL / Redis that this start runs itself, stopped after every service. */
const deps: LocalDep[] = []
let stopping = false

async function stopDeps() {
  for (const dep of deps.splice(0).reverse()) await dep.stop().catch((error) => say(`could not stop pid ${dep.pid}: ${(error as Error)?.message}`))
}

const inProject = (dir: string) => !relative(ROOT, dir).startsWith('..')
const shown = (dir: string) => (inProject(dir) ? relative(ROOT, dir) : dir)

/** DATABASE_URL; else 127.0.0.1:LOCAL_POSTGRES_PORT; else an embedded PostgreSQL started here. */
async function findPostgres(): Promise<{ url?: string; problem?: string }> {
  if (process.env.DATABASE_URL) {
    const problem = await checkPostgres(process.env.DATABASE_URL)
    return problem ? { problem } : { url: process.env.DATABASE_URL }
  }
  if (await answers(LOCAL_POSTGRES_PORT)) {
    const url = defaultDatabaseUrl(DATA_DIR, LOCAL_POSTGRES_PORT)
    const problem = await checkPostgres(url)
    return problem ? { problem } : { url }
  }
  say(`no DATABASE_URL and nothing on 127.0.0.1:${LOCAL_POSTGRES_PORT}: running an embedded PostgreSQL`)
  say(`  its data is in ${shown(join(DATA_DIR, 'postgres'))} (${inProject(DATA_DIR) ? 'git-ignored, ' : ''}kept between runs; delete the folder for an empty shop)`)
  try {
    const started = Date.now()
    const dep = await startEmbeddedPostgres(DATA_DIR, LOCAL_POSTGRES_PORT, say)
    deps.push(dep)
    say(`  PostgreSQL is up on 127.0.0.1:${LOCAL_POSTGRES_PORT}, pid ${dep.pid ?? '?'} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
    return { url: dep.url }
  } catch (error) {
    return { problem: `The embedded PostgreSQL could not run: ${(error as Error)?.message}\n  Set DATABASE_URL to a reachable PostgreSQL instead.` }
  }
}

/** REDIS_URL; else 127.0.0.1:LOCAL_REDIS_PORT; else a private redis-server started here, if installed. */
async function findRedis(): Promise<{ url?: string; problem?: string }> {
  if (process.env.REDIS_URL) {
    const problem = await checkRedis(process.env.REDIS_URL)
    return problem ? { problem } : { url: process.env.REDIS_URL }
  }
  const url = `redis://127.0.0.1:${LOCAL_REDIS_PORT}`
  if (await answers(LOCAL_REDIS_PORT)) {
    const problem = await checkRedis(url)
    return problem ? { problem } : { url }
  }
  const binary = findRedisServer()
  if (!binary) return { problem: `No REDIS_URL, nothing on 127.0.0.1:${LOCAL_REDIS_PORT} and no redis-server on this machine.\n  ${INSTALL_REDIS}` }
  say(`no REDIS_URL and nothing on 127.0.0.1:${LOCAL_REDIS_PORT}: running ${binary} with its data in ${shown(join(DATA_DIR, 'redis'))}`)
  try {
    const dep = await startPrivateRedis(binary, DATA_DIR, LOCAL_REDIS_PORT)
    deps.push(dep)
    say(`  redis-server is up on 127.0.0.1:${LOCAL_REDIS_PORT}, pid ${dep.pid}`)
    return { url: dep.url }
  } catch (error) {
    return { problem: `${(error as Error).message}\n  Set REDIS_URL to a reachable Redis instead.` }
  }
}

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
  await stopDeps()
  say('all processes stopped')
  process.exit(code)
}

async function waitReady(port: number): Promise<boolean> {
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
  const taken = PROCESSES.map((p) => ({ spec: p, port: p.port })).filter(({ port }) => !portFree(port, process.env.HOST || '0.0.0.0'))
  if (taken.length) {
    for (const { spec, port } of taken) process.stderr.write(`${portTakenMessage(port, spec.what, spec.portEnv)}\n`)
    process.stderr.write('Nothing was started.\n')
    process.exit(1)
  }

  const [pg, redis] = await Promise.all([findPostgres(), findRedis()])
  if (!pg.url || !redis.url) {
    for (const problem of [pg.problem, redis.problem]) if (problem) process.stderr.write(`${problem}\n`)
    await stopDeps()
    process.stderr.write('The shop needs PostgreSQL and Redis; no service was started.\n')
    process.exit(1)
  }
  const DATABASE_URL = pg.url
  const REDIS_URL = redis.url

  // The gateway serves the web build of the desktop renderer at /: build it on a fresh clone.
  if (!existsSync(join(ROOT, 'desktop', 'dist-web', 'index.html'))) {
    say('building the web UI (desktop/dist-web)')
    const build = Bun.spawnSync(['bun', 'run', 'build:web'], { cwd: ROOT, stdout: 'ignore', stderr: 'pipe' })
    if (build.exitCode !== 0) say(`the web UI could not be built; the gateway shows a placeholder:\n${build.stderr.toString()}`)
  }

  const env = {
    ...process.env,
    DATABASE_URL,
    REDIS_URL,
    DEMO_DATA: process.env.DEMO_DATA ?? '1',
    // Every instance opens its own pool: N instances share the connections one would have, so the
    // whole shop stays under Postgres's max_connections (100 by default; 180 were asked for with 2).
    DATABASE_POOL_MAX: process.env.DATABASE_POOL_MAX ?? String(poolPerInstance(INSTANCES)),
    ...localServiceEnv(process.env, INSTANCES),
  }
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

  const withPorts = PROCESSES.map((p) => ({ spec: p, port: p.port }))
  const ready = await Promise.all(withPorts.map(({ port }) => waitReady(port)))
  if (stopping) return
  const notReady = withPorts.filter((_, i) => !ready[i]).map(({ spec }) => spec.name)
  if (notReady.length) return void stopAll(`not ready after ${READY_TIMEOUT_MS / 1000} s: ${notReady.join(', ')}`, 1)
  const gateway = `http://localhost:${process.env.GATEWAY_PORT || 8080}`
  say(`the shop is up${INSTANCES > 1 ? ` (${INSTANCES} instances of each service and worker behind the gateway)` : ''}:`)
  say(`  web UI           ${gateway}/`)
  say(`  API docs         ${gateway}/swagger   (every service; each also at its own /swagger)`)
  say(`  queue dashboard  ${gateway}/admin/queues   (admins; set ADMIN_EMAIL and ADMIN_PASSWORD for one)`)
  for (const { spec, port } of withPorts) if (spec.name !== 'gateway') say(`  ${spec.name.padEnd(16)} http://localhost:${port}${spec.kind === 'worker' ? '/metrics' : ''}`)
  say('press Ctrl-C to stop')
}

await main()
