/**
 * `bun run profile:summary <dir> [top=25]`: reads the `.cpuprofile` files a run with
 * CPU_PROFILE_DIR wrote and prints, per process, where its CPU samples fall: by package (or
 * native code / the app itself) and the hottest functions by self samples. Samples are counted,
 * not their time deltas: Bun's profiler stretches a sample's delta over idle time.
 */
import { readFileSync, readdirSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
  children?: number[]
}
interface Profile {
  nodes: ProfileNode[]
  samples: number[]
}

const [dir, topArg = '25'] = process.argv.slice(2)
if (!dir) {
  console.error('usage: bun run profile:summary <dir> [top]')
  process.exit(2)
}
const top = Number(topArg)

function packageOf(url: string): string {
  if (!url) return '(native)'
  const match = /node_modules\/(?:\.bun\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (match) return match[1]!
  if (url.startsWith('node:') || url.startsWith('internal:')) return '(runtime)'
  return '(app) ' + url.replace(/^.*?\/(shared|services|scripts)\//, '$1/').replace(/\/[^/]+$/, '')
}

const pct = (n: number, total: number) => `${((100 * n) / total).toFixed(1).padStart(5)}%`

for (const file of readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()) {
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile
  const byId = new Map(profile.nodes.map((n) => [n.id, n]))
  const self = new Map<number, number>()
  for (const id of profile.samples) self.set(id, (self.get(id) ?? 0) + 1)
  const total = profile.samples.length
  const byPackage = new Map<string, number>()
  const byFunction = new Map<string, number>()
  for (const [id, count] of self) {
    const frame = byId.get(id)!.callFrame
    if (frame.functionName === '(idle)' || frame.functionName === '(program)') continue
    const pkg = packageOf(frame.url)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count)
    const name = `${frame.functionName || '(anonymous)'}  ${frame.url ? `${frame.url.replace(/^.*node_modules\//, '')}:${frame.lineNumber + 1}` : '[native]'}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + count)
  }
  console.log(`\n## ${file.replace('.cpuprofile', '')}: ${total} samples`)
  for (const [pkg, count] of [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${pct(count, total)}  ${pkg}`)
  console.log('  hottest functions (self):')
  for (const [name, count] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`  ${pct(count, total)}  ${name}`)
}
