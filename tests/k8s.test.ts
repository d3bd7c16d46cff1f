/**
 * deploy/k8s: the base is what `bun run gen:k8s` writes from the services' manifests, and every
 * object of the base and of both overlays is valid against the Kubernetes schemas
 * (kubernetes-models, offline). CloudNativePG's `Cluster` is a CRD the package does not know: its
 * required fields are checked by hand. With `kubectl` installed the overlays are rendered by
 * `kubectl kustomize` and the rendered objects checked; without it, every patch of the overlays is
 * checked to hit an object and a path of the base, so the test means something on any machine.
 */
import { describe, expect, test } from 'bun:test'
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { BASE_DIR, COMMAND, generate } from '../scripts/gen-k8s.ts'
import { PROCESSES } from '../scripts/processes.ts'

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }; spec?: any; data?: any }

const K8S = join(import.meta.dir, '..', 'deploy', 'k8s')
const OVERLAYS = ['dev', 'prod']
const parseAll = (text: string): Obj[] => {
  const parsed = Bun.YAML.parse(text) as Obj | Obj[] | null
  return (Array.isArray(parsed) ? parsed : [parsed]).filter((d): d is Obj => !!d && typeof d === 'object')
}
const baseObjects = () =>
  readdirSync(BASE_DIR)
    .filter((f) => f !== 'kustomization.yaml')
    .flatMap((f) => parseAll(readFileSync(join(BASE_DIR, f), 'utf8')))

/** The required fields of CloudNativePG's Cluster (postgresql.cnpg.io/v1), checked by hand: the package has no CRDs. */
function clusterProblems(o: Obj): string[] {
  const problems: string[] = []
  const s = o.spec ?? {}
  if (!o.metadata?.name) problems.push('metadata.name missing')
  if (!Number.isInteger(s.instances) || s.instances < 1) problems.push('spec.instances must be an integer ≥ 1')
  if (typeof s.storage?.size !== 'string' || !/^\d+(Gi|Mi|Ti)$/.test(s.storage.size)) problems.push('spec.storage.size must be a quantity such as 20Gi')
  if (s.minSyncReplicas !== undefined && !(Number.isInteger(s.minSyncReplicas) && s.minSyncReplicas <= (s.maxSyncReplicas ?? 0) && s.maxSyncReplicas < s.instances))
    problems.push('spec.minSyncReplicas ≤ maxSyncReplicas < instances')
  if (!s.bootstrap?.initdb?.database || !s.bootstrap?.initdb?.owner) problems.push('spec.bootstrap.initdb needs database and owner')
  if (s.backup && !s.backup.barmanObjectStore?.destinationPath) problems.push('spec.backup.barmanObjectStore.destinationPath missing')
  return problems
}

/** Validates one object against its schema; the problems found (none: valid). */
async function problemsOf(o: Obj): Promise<string[]> {
  const where = `${o.kind}/${o.metadata?.name}`
  if (o.apiVersion === 'postgresql.cnpg.io/v1' && o.kind === 'Cluster') return clusterProblems(o).map((p) => `${where}: ${p}`)
  let Model: new (data: unknown) => { validate(): void }
  try {
    Model = (await import(`kubernetes-models/${o.apiVersion}/${o.kind}`))[o.kind]
  } catch {
    return [`${where}: no schema for ${o.apiVersion} ${o.kind}`]
  }
  // kustomize wraps a long base64 value over lines, which the API server's decoder accepts (it skips newlines).
  const data = o.kind === 'Secret' && o.data ? { ...o, data: Object.fromEntries(Object.entries(o.data).map(([k, v]) => [k, String(v).replace(/\s+/g, '')])) } : o
  try {
    new Model(data).validate()
    return []
  } catch (error) {
    return [`${where}: ${(error as Error).message}`]
  }
}

async function allProblems(objects: Obj[]): Promise<string[]> {
  return (await Promise.all(objects.map(problemsOf))).flat()
}

describe('the Kubernetes base', () => {
  test(`is what \`${COMMAND}\` writes from the services' manifests`, () => {
    const files = generate()
    expect(readdirSync(BASE_DIR).sort()).toEqual([...files.keys()].sort())
    for (const [name, text] of files) expect({ name, text: readFileSync(join(BASE_DIR, name), 'utf8').trimEnd() }).toEqual({ name, text: text.trimEnd() })
  })

  test('every object is valid against the Kubernetes schemas', async () => {
    const objects = baseObjects()
    expect(objects.length).toBeGreaterThan(40)
    expect(await allProblems(objects)).toEqual([])
  })

  test('a schema violation is caught (the check can fail)', async () => {
    const [deployment] = baseObjects().filter((o) => o.kind === 'Deployment')
    const broken = structuredClone(deployment!)
    broken.spec.replicas = 'two'
    expect((await problemsOf(broken)).join()).toContain('replicas must be integer')
    expect(clusterProblems({ apiVersion: 'postgresql.cnpg.io/v1', kind: 'Cluster', metadata: { name: 'x' }, spec: { instances: 0 } }).length).toBeGreaterThan(1)
  })

  test('each process: a Deployment, Service, PodDisruptionBudget and autoscaler; probes on /ready and /health; non-root and read-only', () => {
    const objects = baseObjects()
    for (const p of PROCESSES) {
      const kinds = objects.filter((o) => o.metadata.name === p.name).map((o) => o.kind).sort()
      expect({ process: p.name, kinds }).toEqual({ process: p.name, kinds: ['Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service'] })
      const pod = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === p.name)!.spec.template.spec
      const container = pod.containers[0]
      expect(container.command).toEqual(['bun', p.entry])
      expect(container.ports[0].containerPort).toBe(p.defaultPort)
      expect(container.readinessProbe.httpGet.path).toBe('/ready')
      expect(container.livenessProbe.httpGet.path).toBe('/health')
      expect(pod.securityContext.runAsNonRoot).toBe(true)
      expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } })
      expect(container.resources.requests.cpu).toBeDefined()
    }
  })

  test('only the gateway takes outside traffic; only orders holds the token of the catalog internal routes', () => {
    const objects = baseObjects()
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy')
    expect(policies.find((p) => p.metadata.name === 'default-deny-ingress')!.spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] })
    const fromNamespaces = policies.filter((p) => p.spec.ingress?.some((rule: any) => rule.from?.some((f: any) => f.namespaceSelector && !f.podSelector)))
    expect(fromNamespaces.map((p) => p.metadata.name).sort()).toEqual(['gateway-from-ingress', 'metrics-from-monitoring', 'postgres-from-shop'])
    const catalogCallers = policies.find((p) => p.metadata.name === 'catalog-from-callers')!.spec.ingress[0].from.map((f: any) => f.podSelector.matchLabels['app.kubernetes.io/name'])
    expect(catalogCallers.sort()).toEqual(['gateway', 'orders', 'orders-worker', 'reviews', 'reviews-worker'])
    const holders = objects
      .filter((o) => o.kind === 'Deployment' && JSON.stringify(o.spec).includes('shop-internal'))
      .map((o) => o.metadata.name)
      .sort()
    expect(holders).toEqual(['catalog', 'catalog-worker', 'orders', 'orders-worker'])
    const paymentKeys = objects
      .filter((o) => o.kind === 'Deployment' && JSON.stringify(o.spec).includes('shop-payments'))
      .map((o) => o.metadata.name)
      .sort()
    expect(paymentKeys).toEqual(['payments', 'payments-worker'])
    const ingress = objects.find((o) => o.kind === 'Ingress')!
    expect(ingress.spec.rules[0].http.paths[0].backend.service.name).toBe('gateway')
    expect(ingress.metadata.annotations).toMatchObject({ 'nginx.ingress.kubernetes.io/proxy-buffering': 'off', 'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600' })
  })
})

/** The overlay's patches: each target matches objects of the base, and each replaced path exists in them. */
function patchProblems(overlay: string): string[] {
  const kustomization = Bun.YAML.parse(readFileSync(join(K8S, 'overlays', overlay, 'kustomization.yaml'), 'utf8')) as {
    patches: { target: { kind: string; name?: string; labelSelector?: string }; patch: string }[]
  }
  const objects = baseObjects()
  const problems: string[] = []
  for (const { target, patch } of kustomization.patches) {
    const name = target.name ? new RegExp(`^${target.name}$`) : undefined
    const [labelKey, labelValue] = target.labelSelector?.split('=') ?? []
    const hit = objects.filter((o) => o.kind === target.kind && (!name || name.test(o.metadata.name)) && (!labelKey || o.metadata.labels?.[labelKey] === labelValue))
    if (hit.length === 0) problems.push(`${overlay}: a patch of ${target.kind} ${target.name ?? target.labelSelector ?? ''} hits nothing`)
    for (const op of Bun.YAML.parse(patch) as { op: string; path: string }[]) {
      const parts = op.path.split('/').slice(1).map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
      const parent = op.op === 'add' ? parts.slice(0, -1) : parts
      for (const o of hit) {
        let at: any = o
        for (const part of parent) at = at?.[part]
        if (at === undefined) problems.push(`${overlay}: ${op.op} ${op.path} finds nothing in ${o.kind}/${o.metadata.name}`)
      }
    }
  }
  return problems
}

const kubectl = Bun.which('kubectl')

/** `kubectl kustomize` of an overlay, in a copy of deploy/k8s with the secret files made from their examples. */
function render(overlay: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'shop-k8s-'))
  try {
    cpSync(K8S, join(dir, 'k8s'), { recursive: true })
    const at = join(dir, 'k8s', 'overlays', overlay)
    for (const file of readdirSync(at).filter((f) => f.endsWith('.env.example'))) cpSync(join(at, file), join(at, file.replace(/\.example$/, '')))
    const result = Bun.spawnSync([kubectl!, 'kustomize', at], { stdout: 'pipe', stderr: 'pipe' })
    if (result.exitCode !== 0) throw new Error(`kubectl kustomize ${overlay} failed: ${result.stderr.toString()}`)
    return result.stdout.toString()
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.each(OVERLAYS)('the %s overlay', (overlay) => {
  test('its patches hit objects and paths of the base; its namespace is valid', async () => {
    expect(patchProblems(overlay)).toEqual([])
    expect(await allProblems(parseAll(readFileSync(join(K8S, 'overlays', overlay, 'namespace.yaml'), 'utf8')))).toEqual([])
  })

  test(kubectl ? 'rendered by kubectl kustomize: every object valid, namespaced, its image and secrets resolved' : 'kubectl is not installed: the patches above are the check', async () => {
    if (!kubectl) return expect(existsSync(join(K8S, 'overlays', overlay, 'kustomization.yaml'))).toBe(true)
    const text = render(overlay)
    const objects = parseAll(text)
    console.log(`kubectl kustomize deploy/k8s/overlays/${overlay}: ${text.length.toLocaleString('en')} bytes, ${objects.length} objects`)
    expect(await allProblems(objects)).toEqual([])
    const namespace = overlay === 'dev' ? 'shop-dev' : 'shop'
    expect(objects.filter((o) => o.kind !== 'Namespace' && o.metadata.namespace !== namespace).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([])
    const pods = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet').map((o) => o.spec.template.spec)
    for (const pod of pods) for (const c of pod.containers) expect(c.image).not.toBe('shop')
    // Every Secret and ConfigMap a pod reads is in the output (its generated name), except the
    // one the PostgreSQL operator makes.
    const names = new Set(objects.filter((o) => o.kind === 'Secret' || o.kind === 'ConfigMap').map((o) => o.metadata.name))
    const refs = new Set([...text.matchAll(/(?:secretRef|configMapRef|secretKeyRef|configMapKeyRef):\n\s+(?:key: \S+\n\s+)?name: (\S+)/g)].map((m) => m[1]!))
    expect([...refs].filter((r) => !names.has(r) && r !== 'shop-db-app')).toEqual([])
    const cluster = objects.find((o) => o.kind === 'Cluster')!
    if (overlay === 'dev') {
      expect(objects.filter((o) => o.kind === 'Deployment').every((o) => o.spec.replicas === 1)).toBe(true)
      expect(cluster.spec.instances).toBe(1)
    } else {
      expect(cluster.spec.instances).toBe(3)
      expect(objects.find((o) => o.kind === 'Ingress')!.spec.tls[0].secretName).toBe('shop-tls')
      expect(objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'gateway')!.spec.replicas).toBe(3)
    }
  })
})
