/**
 * The image, for real, with Debian's podman (no Docker engine here, and no registry: the test
 * makes its base itself). A Debian bookworm minbase from debootstrap, imported into podman, with
 * this machine's bun and the checkout's installed dependencies copied in (a container cannot
 * reach the npm registry here), is the `BASE_IMAGE` of the repository's Dockerfile, built as it
 * is: the web UI built inside, the production install, uid 1000. Then the gateway and every
 * service and worker run from the image (host network) against the machine's PostgreSQL and
 * Redis, and the gateway is ready and serves the storefront at /.
 *
 * The minbase and the dependencies image are kept in podman's storage between runs (tagged by
 * what they were made from), so only the first run on a machine pays for debootstrap.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { TEST_REDIS_URL, freePort, uniqueName } from '@shop/shared/testing'
import { PROCESSES, localServiceEnv } from '../scripts/processes.ts'
import { ownStores } from './spawned.ts'

const ROOT = join(import.meta.dir, '..')
const work = mkdtempSync(join(tmpdir(), 'shop-image-'))
const confFile = join(work, 'containers.conf')
// What podman needs here: runc with cgroupfs, and no default ulimits (the sandbox refuses them).
writeFileSync(confFile, '[containers]\ndefault_ulimits = []\n')
const podmanEnv = { ...process.env, CONTAINERS_CONF: confFile }
const GLOBAL = ['--runtime', 'runc', '--cgroup-manager', 'cgroupfs']
const stores = ownStores('image')
const tag = uniqueName('shop-image').toLowerCase()
const IMAGE = `localhost/${tag}:test`
const containers: string[] = []

function run(cmd: string[], options: { input?: Uint8Array | Blob; timeoutMs?: number } = {}) {
  const started = performance.now()
  const result = Bun.spawnSync(cmd, { env: podmanEnv, stdout: 'pipe', stderr: 'pipe', stdin: options.input ?? 'ignore', timeout: options.timeoutMs ?? 300_000 })
  const seconds = (performance.now() - started) / 1000
  if (result.exitCode !== 0) throw new Error(`${cmd.slice(0, 3).join(' ')}… failed (${result.exitCode}) after ${seconds.toFixed(1)} s:\n${result.stderr.toString().slice(-3000)}`)
  return { out: result.stdout.toString(), seconds }
}
const podman = (...args: string[]) => run(['podman', ...GLOBAL, ...args])
const hasImage = (name: string) => Bun.spawnSync(['podman', ...GLOBAL, 'image', 'exists', name], { env: podmanEnv }).exitCode === 0

/** Short hash of some text, for image tags that name what they were made from. */
const hashOf = (text: string) => new Bun.CryptoHasher('sha256').update(text).digest('hex').slice(0, 12)

const timings: string[] = []
/** A tool that may live in /usr/sbin (debootstrap, runc), which a user's PATH may lack. */
const sbin = (tool: string) => Bun.which(tool, { PATH: `${process.env.PATH}:/usr/sbin:/sbin` })

beforeAll(async () => {
  for (const tool of ['podman', 'debootstrap', 'runc'])
    if (!sbin(tool)) throw new Error(`${tool} is missing: apt-get install -y podman debootstrap runc (.ci/run does)`)
  await stores.create()

  // 1. The base: Debian bookworm minbase, made once per machine.
  const minbase = 'localhost/shop-test-minbase:bookworm'
  if (!hasImage(minbase)) {
    const root = join(work, 'minbase')
    const made = run([sbin('debootstrap')!, '--variant=minbase', 'bookworm', root, 'http://deb.debian.org/debian'], { timeoutMs: 600_000 })
    run(['sh', '-c', `tar -C '${root}' -c . | podman ${GLOBAL.join(' ')} import - ${minbase}`])
    rmSync(root, { recursive: true, force: true })
    timings.push(`debootstrap ${made.seconds.toFixed(0)} s`)
  } else timings.push('minbase reused')

  // 2. bun and the installed dependencies on it (what `bun install` would fetch; tagged by the lockfile and bun's version).
  const bunBinary = realpathSync(Bun.which('bun')!)
  const depsTag = `localhost/shop-test-deps:${hashOf(readFileSync(join(ROOT, 'bun.lock'), 'utf8') + Bun.version)}`
  if (!hasImage(depsTag)) {
    const ctx = join(work, 'deps')
    mkdirSync(join(ctx, 'app'), { recursive: true })
    cpSync(bunBinary, join(ctx, 'bun'))
    for (const dir of ['', 'shared', 'desktop', ...PROCESSES.filter((p) => p.kind === 'api').map((p) => `services/${p.service}`)])
      if (existsSync(join(ROOT, dir, 'node_modules'))) cpSync(join(ROOT, dir, 'node_modules'), join(ctx, 'app', dir, 'node_modules'), { recursive: true, verbatimSymlinks: true })
    writeFileSync(join(ctx, 'Containerfile'), `FROM ${minbase}\nCOPY bun /usr/local/bin/bun\nCOPY app /app\n`)
    const built = podman('build', '-t', depsTag, ctx)
    timings.push(`dependencies image ${built.seconds.toFixed(0)} s`)
  } else timings.push('dependencies image reused')

  // 3. The repository's Dockerfile, as it is, on that base.
  const built = podman('build', '--network', 'host', '--build-arg', `BASE_IMAGE=${depsTag}`, '-t', IMAGE, ROOT)
  timings.push(`docker build ${built.seconds.toFixed(0)} s`)
}, 900_000)

afterAll(async () => {
  for (const id of containers) Bun.spawnSync(['podman', ...GLOBAL, 'rm', '-f', '-t', '3', id], { env: podmanEnv })
  Bun.spawnSync(['podman', ...GLOBAL, 'rmi', '-f', IMAGE], { env: podmanEnv })
  await stores.drop()
  rmSync(work, { recursive: true, force: true })
}, 120_000)

describe('the image', () => {
  test("holds the web build and none of the checkout's .git or .data; runs as uid 1000", () => {
    const listing = podman('run', '--rm', '--network', 'host', IMAGE, 'sh', '-c', 'id -u; ls desktop/dist-web; test -e .git && echo has-git; test -e .data && echo has-data; bun --version').out
    const [uid, ...rest] = listing.trim().split('\n')
    expect(uid).toBe('1000')
    expect(rest).toContain('index.html')
    expect(rest).toContain('assets')
    expect(rest).not.toContain('has-git')
    expect(rest).not.toContain('has-data')
  }, 60_000)

  test('the gateway and every service and worker run from it against this machine\'s PostgreSQL and Redis; / is the storefront', async () => {
    const ports = Object.fromEntries(PROCESSES.map((p) => [p.portEnv, String(freePort())]))
    const env: Record<string, string> = {
      ...ports,
      DATABASE_URL: stores.databaseUrl,
      REDIS_URL: TEST_REDIS_URL,
      QUEUE_PREFIX: stores.queuePrefix,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      DEMO_DATA: '1',
    }
    Object.assign(env, localServiceEnv(env))
    const started = performance.now()
    for (const p of PROCESSES) {
      const flags = Object.entries(env).flatMap(([k, v]) => ['-e', `${k}=${v}`])
      containers.push(podman('run', '-d', '--network', 'host', '--name', `${tag}-${p.name}`, '--read-only', '--tmpfs', '/tmp', ...flags, IMAGE, 'bun', p.entry).out.trim())
    }
    const gateway = `http://127.0.0.1:${ports.GATEWAY_PORT}`
    let ready: unknown
    for (let i = 0; i < 240; i++) {
      try {
        const res = await fetch(`${gateway}/ready`, { signal: AbortSignal.timeout(2000) })
        ready = await res.json()
        if (res.ok) break
      } catch {}
      await Bun.sleep(250)
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    expect(ready).toMatchObject({ status: 'ready', checks: { users: 'up', orders: 'up', payments: 'up', catalog: 'up', reviews: 'up' } })
    // Every worker too (its operations port).
    for (const w of PROCESSES.filter((p) => p.kind === 'worker')) expect({ worker: w.name, status: (await fetch(`http://127.0.0.1:${ports[w.portEnv]}/ready`)).status }).toEqual({ worker: w.name, status: 200 })
    // The storefront, not the placeholder: its page and the script it loads.
    const page = await fetch(`${gateway}/`)
    expect(page.status).toBe(200)
    const html = await page.text()
    const script = /<script[^>]+src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1]
    expect(script).toBeDefined()
    expect((await fetch(`${gateway}${script}`)).status).toBe(200)
    // And the API behind it: the demo catalog through the gateway.
    expect(((await (await fetch(`${gateway}/api/products?limit=3`)).json()) as { items: unknown[] }).items.length).toBe(3)
    console.log(`image test: ${timings.join(', ')}; ${PROCESSES.length} containers ready in ${seconds} s`)
  }, 180_000)
})
