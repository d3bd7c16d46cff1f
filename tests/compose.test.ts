/**
 * There is no Docker engine here, so the deployment files are checked by parsing: every process
 * of `bun run start` is a compose service with the same entry and port, healthchecks gate the
 * start order, and .env.example documents exactly the variables the services read.
 */
import { describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { PROCESSES } from '../scripts/processes.ts'

const ROOT = join(import.meta.dir, '..')
type ComposeService = {
  profiles?: string[]
  image?: string
  command?: string[]
  ports?: string[]
  healthcheck?: { test: string[] }
  depends_on?: Record<string, { condition: string }>
  environment?: Record<string, string>
  volumes?: string[]
}
const compose = Bun.YAML.parse(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
}
const envExample = readFileSync(join(ROOT, '.env.example'), 'utf8')
const exampleVars = new Set([...envExample.matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!))

/** Variable names a service's config.ts (and the shared common spec) reads. */
function configVars(): Set<string> {
  const sources = [join(ROOT, 'shared/src/runtime/config.ts')]
  for (const dir of readdirSync(join(ROOT, 'services'))) sources.push(join(ROOT, 'services', dir, 'src/config.ts'))
  const names = new Set<string>()
  for (const file of sources) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/^\s+([A-Z][A-Z0-9_]+):/gm)) names.add(m[1]!)
    for (const m of text.matchAll(/'([A-Z][A-Z0-9_]+)'/g)) names.add(m[1]!)
  }
  return names
}

describe('docker-compose.yml', () => {
  test('postgres and redis are there, with volumes and healthchecks; redis keeps an AOF and never evicts', () => {
    const { postgres, redis } = compose.services
    expect(postgres?.healthcheck?.test.join(' ')).toContain('pg_isready')
    // Room for every process's pool (10 each) with workers scaled up, not Postgres's default 100.
    expect(postgres?.command?.join(' ')).toContain('max_connections=300')
    expect(postgres?.volumes?.some((v) => v.endsWith(':/var/lib/postgresql/data'))).toBe(true)
    expect(redis?.healthcheck?.test.join(' ')).toContain('ping')
    const command = (redis?.command ?? []).join(' ')
    expect(command).toContain('--appendonly yes')
    expect(command).toContain('--maxmemory-policy noeviction')
    for (const volume of [...(postgres?.volumes ?? []), ...(redis?.volumes ?? [])])
      expect(Object.keys(compose.volumes)).toContain(volume.split(':')[0]!)
  })

  test.each(PROCESSES.map((p) => [p.name, p] as const))('%s runs the same entry as bun run start, gated on healthy stores', (name, spec) => {
    const service = compose.services[name]
    expect(service).toBeDefined()
    expect(service!.command).toEqual(['bun', spec.entry])
    expect(service!.depends_on?.redis?.condition).toBe('service_healthy')
    if (name === 'gateway') {
      // The gateway starts when every service it routes to is ready.
      for (const upstream of PROCESSES.filter((p) => p.kind === 'api' && p.name !== 'gateway'))
        expect({ upstream: upstream.name, condition: service!.depends_on?.[upstream.name]?.condition }).toEqual({ upstream: upstream.name, condition: 'service_healthy' })
    } else expect(service!.depends_on?.postgres?.condition).toBe('service_healthy')
    // Each process is healthy when its /ready answers (a worker's on its operations port).
    expect(service!.healthcheck?.test.join(' ')).toContain(`:${spec.defaultPort}/ready`)
    if (spec.kind === 'api') expect(service!.ports).toContain(`${spec.defaultPort}:${spec.defaultPort}`)
    // A worker publishes no port, so `docker compose up --scale` can run several.
    else expect(service!.ports).toBeUndefined()
  })

  test('the services reach Postgres and Redis by their compose names', () => {
    for (const spec of PROCESSES) {
      const env = compose.services[spec.name]!.environment!
      if (spec.name !== 'gateway') expect(env.DATABASE_URL).toContain('@postgres:5432/')
      expect(env.REDIS_URL).toContain('redis://redis:6379')
    }
  })

  test('every service URL in the environment names a compose service on its port', () => {
    const ports = new Map(PROCESSES.map((p) => [p.name, p.defaultPort]))
    for (const [name, service] of Object.entries(compose.services)) {
      for (const [key, value] of Object.entries(service.environment ?? {})) {
        const match = /^https?:\/\/([a-z-]+):(\d+)$/.exec(String(value))
        if (!key.endsWith('_URL') || !match) continue
        expect({ in: name, key, target: match[1], port: Number(match[2]) }).toEqual({ in: name, key, target: match[1], port: ports.get(match[1]!)! })
      }
    }
  })
})

describe('the observability profile', () => {
  const OBSERVABILITY = ['prometheus', 'grafana', 'jaeger']

  test('Prometheus, Grafana and Jaeger run only with --profile observability, pinned, on loopback, from files that exist', () => {
    for (const name of OBSERVABILITY) {
      const service = compose.services[name]!
      expect({ name, profiles: service.profiles }).toEqual({ name, profiles: ['observability'] })
      expect({ name, image: service.image }).toEqual({ name, image: expect.stringMatching(/:v?\d+\.\d+\.\d+$/) })
      for (const port of service.ports ?? []) expect({ name, port }).toEqual({ name, port: expect.stringMatching(/^127\.0\.0\.1:/) })
      for (const volume of service.volumes ?? []) {
        const source = volume.split(':')[0]!
        if (source.startsWith('./')) expect({ name, source, exists: existsSync(join(ROOT, source)) }).toEqual({ name, source, exists: true })
        else expect(Object.keys(compose.volumes)).toContain(source)
      }
    }
    // Every other service runs whatever the profile.
    for (const [name, service] of Object.entries(compose.services)) if (!OBSERVABILITY.includes(name)) expect({ name, profiles: service.profiles }).toEqual({ name, profiles: undefined })
  })

  test("Prometheus scrapes every process by its compose name and port, and Grafana's data source is that Prometheus", () => {
    const config = Bun.YAML.parse(readFileSync(join(ROOT, 'deploy/observability/prometheus.yml'), 'utf8')) as { scrape_configs: { static_configs: { targets: string[] }[] }[] }
    const targets = config.scrape_configs.flatMap((c) => c.static_configs.flatMap((s) => s.targets)).sort()
    expect(targets).toEqual(PROCESSES.map((p) => `${p.name}:${p.defaultPort}`).sort())
    const datasource = readFileSync(join(ROOT, 'deploy/observability/grafana/provisioning/datasources/prometheus.yml'), 'utf8')
    expect(datasource).toContain('url: http://prometheus:9090')
  })
})

describe('.env.example', () => {
  test('documents every variable the services read, and nothing they do not', () => {
    const read = configVars()
    // The processes' ports, the workers' derived from their service's name (runtime/service.ts).
    for (const p of PROCESSES) read.add(p.portEnv)
    // Per-service database URLs are optional overrides, described in a comment.
    const optional = new Set([...read].filter((n) => /^[A-Z]+_DATABASE_URL$/.test(n)))
    const missing = [...read].filter((n) => !exampleVars.has(n) && !optional.has(n) && n !== 'HOST')
    const unknown = [...exampleVars].filter((n) => !read.has(n) && n !== 'DEMO_DATA')
    expect({ missing, unknown }).toEqual({ missing: [], unknown: [] })
  })
})
