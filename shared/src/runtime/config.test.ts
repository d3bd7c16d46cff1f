import { describe, expect, test } from 'bun:test'
import { ConfigError, bool, commonSpec, firstOf, int, loadConfig, port, str, url, urlList } from './config.ts'

describe('loadConfig', () => {
  test('applies defaults and parses types', () => {
    const config = loadConfig({ ...commonSpec, PORT: port(8081), FLAG: bool(false), NAME: str('x') }, {})
    expect(config).toMatchObject({
      DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
      REDIS_URL: 'redis://127.0.0.1:6379',
      QUEUE_PREFIX: 'shop',
      PORT: 8081,
      FLAG: false,
      NAME: 'x',
    })
  })

  test('reports every bad or missing variable at once, by name', () => {
    let error: unknown
    try {
      loadConfig(
        { REQUIRED: str(), PORT: port(1), COUNT: int(1, { min: 1 }), DB: url(undefined, ['postgres:']), ON: bool(true) },
        { PORT: '99999', COUNT: 'abc', DB: 'mysql://x', ON: 'maybe' },
      )
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ConfigError)
    const problems = (error as ConfigError).problems
    expect(problems).toHaveLength(5)
    expect(problems.join('\n')).toContain('REQUIRED is required')
    expect(problems.join('\n')).toContain('PORT must be between 0 and 65535')
    expect(problems.join('\n')).toContain('COUNT must be an integer')
    expect(problems.join('\n')).toContain('DB must use postgres:')
    expect(problems.join('\n')).toContain('ON must be true or false')
  })

  test('a service database URL takes precedence over DATABASE_URL', () => {
    const spec = { DATABASE_URL: firstOf(['USERS_DATABASE_URL', 'DATABASE_URL'], commonSpec.DATABASE_URL) }
    expect(loadConfig(spec, { DATABASE_URL: 'postgres://a/x' }).DATABASE_URL).toBe('postgres://a/x')
    expect(loadConfig(spec, { DATABASE_URL: 'postgres://a/x', USERS_DATABASE_URL: 'postgres://b/y' }).DATABASE_URL).toBe(
      'postgres://b/y',
    )
    expect(() => loadConfig(spec, { USERS_DATABASE_URL: 'http://b/y' })).toThrow('USERS_DATABASE_URL must use')
  })
})

describe('urlList', () => {
  const load = loadConfig
  test('one URL or several, comma separated, each checked', () => {
    const spec = { U: urlList('http://127.0.0.1:1', ['http:', 'https:']) }
    expect(load(spec, {}).U).toEqual(['http://127.0.0.1:1'])
    expect(load(spec, { U: 'http://a:1, http://b:2' }).U).toEqual(['http://a:1', 'http://b:2'])
    expect(() => load(spec, { U: 'http://a:1,ftp://b' })).toThrow('U (entry 2, "ftp://b"): must use http: or https:, got ftp:')
    expect(() => load(spec, { U: 'nope' })).toThrow('U is not a valid URL')
  })
})
