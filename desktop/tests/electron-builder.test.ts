/**
 * The installers are built on a release machine with internet; here the builder configuration is
 * checked offline against electron-builder's own schema, and against what the product needs.
 */
import { describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { validateConfiguration } from 'app-builder-lib/out/util/config/config'
import { DebugLogger } from 'builder-util'

const DESKTOP = join(import.meta.dir, '..')
const config = JSON.parse(readFileSync(join(DESKTOP, 'electron-builder.json'), 'utf8'))
const pkg = JSON.parse(readFileSync(join(DESKTOP, 'package.json'), 'utf8'))

describe('electron-builder configuration', () => {
  test("passes electron-builder's schema validation", async () => {
    await validateConfiguration(config, new DebugLogger(false))
  })

  test('the validator does refuse a wrong configuration (the check can fail)', async () => {
    await expect(validateConfiguration({ ...config, unknownOption: true }, new DebugLogger(false))).rejects.toThrow("unknown property 'unknownOption'")
    await expect(validateConfiguration({ ...config, win: { ...config.win, unknownOption: true } }, new DebugLogger(false))).rejects.toThrow('configuration.win')
  })

  test('Windows NSIS (.exe) and macOS dmg for x64 and arm64, with an app id, product name and artifact names', () => {
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9-]+)+$/)
    expect(config.productName).toBe('Shop')
    expect(config.win.target).toEqual([{ target: 'nsis', arch: ['x64'] }])
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }])
    expect(config.nsis.artifactName).toContain('${version}')
    expect(config.dmg.artifactName).toContain('${arch}')
  })

  test('the icon is a PNG of at least 512×512 (converted to .ico and .icns by the builder)', () => {
    const png = readFileSync(join(DESKTOP, config.win.icon))
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
    const width = png.readUInt32BE(16)
    const height = png.readUInt32BE(20)
    expect(width).toBeGreaterThanOrEqual(512)
    expect(height).toBe(width)
  })

  test('the packaged files are the built main, preload and renderer, and main points into them', () => {
    expect(config.files).toEqual(expect.arrayContaining(['dist/main/**', 'dist/preload/**', 'dist/renderer/**']))
    expect(pkg.main).toBe('dist/main/main.js')
    // Everything the app runs is bundled: no runtime dependencies to ship in node_modules.
    expect(Object.keys(pkg.dependencies ?? {})).toEqual([])
  })
})
