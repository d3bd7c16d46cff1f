/**
 * `bun run gen:k8s`: writes deploy/k8s/base from the services' manifests (scripts/processes.ts):
 * a Deployment, Service, PodDisruptionBudget and HorizontalPodAutoscaler per process, and the
 * shared pieces (ConfigMap, NetworkPolicies, Ingress, the CloudNativePG Cluster, Redis), so a
 * process added to the shop appears here by running it. tests/k8s.test.ts fails when the files
 * are stale, and validates them (and the dev and prod overlays) against the Kubernetes schemas.
 * The overlays (deploy/k8s/overlays) are written by hand.
 */
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { PROCESSES, type ProcessSpec } from './processes.ts'

export const BASE_DIR = join(import.meta.dir, '..', 'deploy', 'k8s', 'base')
export const COMMAND = 'bun run gen:k8s'

const PART_OF = 'shop'
const labels = (name: string, kind: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF, 'shop.example/kind': kind })
const selector = (name: string) => ({ 'app.kubernetes.io/name': name })

/**
 * What each process asks for (requests) and may use (limits), and how far its autoscaler goes,
 * from the bench's CPU per process (docs/deploy.md, "How many of each").
 */
const SIZES: Record<string, { cpu: string; memory: string; cpuLimit: string; memoryLimit: string; min: number; max: number }> = {
  gateway: { cpu: '500m', memory: '192Mi', cpuLimit: '2', memoryLimit: '512Mi', min: 2, max: 10 },
  // argon2id: 64 MiB and ~50 ms of CPU per password check.
  users: { cpu: '500m', memory: '384Mi', cpuLimit: '2', memoryLimit: '1Gi', min: 2, max: 6 },
  payments: { cpu: '250m', memory: '192Mi', cpuLimit: '1', memoryLimit: '512Mi', min: 2, max: 6 },
  'payments-worker': { cpu: '500m', memory: '192Mi', cpuLimit: '2', memoryLimit: '512Mi', min: 2, max: 8 },
  catalog: { cpu: '500m', memory: '256Mi', cpuLimit: '2', memoryLimit: '768Mi', min: 2, max: 10 },
  'catalog-worker': { cpu: '250m', memory: '192Mi', cpuLimit: '1', memoryLimit: '512Mi', min: 2, max: 6 },
  orders: { cpu: '500m', memory: '256Mi', cpuLimit: '2', memoryLimit: '512Mi', min: 2, max: 10 },
  'orders-worker': { cpu: '500m', memory: '192Mi', cpuLimit: '2', memoryLimit: '512Mi', min: 2, max: 8 },
  reviews: { cpu: '250m', memory: '192Mi', cpuLimit: '1', memoryLimit: '512Mi', min: 2, max: 6 },
  'reviews-worker': { cpu: '250m', memory: '192Mi', cpuLimit: '1', memoryLimit: '512Mi', min: 2, max: 4 },
}

/** The processes that hold the internal token: the catalog (which checks it) and orders (which calls the catalog's internal routes). */
const INTERNAL = new Set(['catalog', 'orders'])
/** Who calls whom inside the cluster, besides the gateway calling every API: the NetworkPolicies' allow list. */
const CALLERS: Record<string, string[]> = {
  // Every process verifies tokens with users' keys (JWKS).
  users: PROCESSES.filter((p) => p.service !== 'users').map((p) => p.name),
  // Reservations (orders, its reconciler in the worker); product reads (reviews).
  catalog: ['orders', 'orders-worker', 'reviews', 'reviews-worker'],
}

function deployment(p: ProcessSpec) {
  const size = SIZES[p.name]
  if (!size) throw new Error(`scripts/gen-k8s.ts has no size for ${p.name}: add it to SIZES`)
  const env: unknown[] = []
  if (p.service !== 'gateway') env.push({ name: 'DATABASE_URL', valueFrom: { secretKeyRef: { name: 'shop-db-app', key: 'uri' } } })
  if (INTERNAL.has(p.service)) env.push({ name: 'INTERNAL_TOKEN', valueFrom: { secretKeyRef: { name: 'shop-internal', key: 'INTERNAL_TOKEN' } } })
  // users believes X-Forwarded-For from the gateway, the gateway from the ingress controller: both inside the pod network.
  if (p.name === 'users' || p.name === 'gateway') env.push({ name: 'TRUSTED_PROXIES', valueFrom: { configMapKeyRef: { name: 'shop-config', key: 'POD_NETWORK' } } })
  const probe = (path: string, period: number, failures: number) => ({ httpGet: { path, port: 'http' }, periodSeconds: period, timeoutSeconds: 3, failureThreshold: failures })
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: p.name, labels: labels(p.name, p.kind) },
    spec: {
      replicas: size.min,
      revisionHistoryLimit: 5,
      selector: { matchLabels: selector(p.name) },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: {
          labels: labels(p.name, p.kind),
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(p.defaultPort), 'prometheus.io/path': '/metrics' },
        },
        spec: {
          automountServiceAccountToken: false,
          // Workers close BullMQ with a bounded timeout and APIs drain on SIGTERM (shared/src/runtime/lifecycle.ts).
          terminationGracePeriodSeconds: 30,
          securityContext: { runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: { type: 'RuntimeDefault' } },
          topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: selector(p.name) } }],
          containers: [
            {
              name: p.name,
              image: 'shop',
              command: ['bun', p.entry],
              ports: [{ name: 'http', containerPort: p.defaultPort }],
              envFrom: [
                { configMapRef: { name: 'shop-config' } },
                { secretRef: { name: 'shop-secrets' } },
                // The payment provider's keys reach payments alone; absent, the shop runs on demo money.
                ...(p.service === 'payments' ? [{ secretRef: { name: 'shop-payments', optional: true } }] : []),
              ],
              ...(env.length ? { env } : {}),
              resources: { requests: { cpu: size.cpu, memory: size.memory }, limits: { cpu: size.cpuLimit, memory: size.memoryLimit } },
              readinessProbe: probe('/ready', 5, 3),
              livenessProbe: probe('/health', 10, 6),
              startupProbe: probe('/health', 2, 30),
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
            },
          ],
          volumes: [{ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } }],
        },
      },
    },
  }
}

function service(p: ProcessSpec) {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: p.name, labels: labels(p.name, p.kind) },
    spec: { selector: selector(p.name), ports: [{ name: 'http', port: p.defaultPort, targetPort: 'http' }] },
  }
}

function disruptionBudget(p: ProcessSpec) {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: p.name, labels: labels(p.name, p.kind) },
    // One at a time, whatever the replica count: a drain never takes a process's last instance with a second.
    spec: { maxUnavailable: 1, selector: { matchLabels: selector(p.name) } },
  }
}

function autoscaler(p: ProcessSpec) {
  const size = SIZES[p.name]!
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: p.name, labels: labels(p.name, p.kind) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: p.name },
      minReplicas: size.min,
      maxReplicas: size.max,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } } }],
      // Up fast (a sale), down slowly (SSE clients reconnect to the instances that stay).
      behavior: { scaleDown: { stabilizationWindowSeconds: 300, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } },
    },
  }
}

function configMap() {
  const url = (name: string) => `http://${name}:${PROCESSES.find((p) => p.name === name)!.defaultPort}`
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'shop-config', labels: { 'app.kubernetes.io/part-of': PART_OF } },
    data: {
      HOST: '0.0.0.0',
      LOG_LEVEL: 'info',
      QUEUE_PREFIX: 'shop',
      JWT_ISSUER: 'shop-users',
      JWT_AUDIENCE: 'shop',
      // Each a Service: Kubernetes spreads the connections over its pods.
      ...Object.fromEntries(PROCESSES.filter((p) => p.kind === 'api' && p.service !== 'gateway').map((p) => [`${p.service.toUpperCase()}_URL`, url(p.name)])),
      // The pod network: users trusts X-Forwarded-For from the gateway in it, the gateway from the ingress controller.
      POD_NETWORK: '10.0.0.0/8',
      PAYMENT_PROVIDER: 'demo',
      DEMO_DATA: '0',
      // The root filesystem is read-only: Bun keeps no transpiler cache.
      BUN_RUNTIME_TRANSPILER_CACHE_PATH: '0',
      SSE_HEARTBEAT_SECONDS: '15',
      // Every pod's pool counts against the Cluster's max_connections (300): the autoscalers' most
      // pods (64) with 4 each, plus a LISTEN connection in some, stay under it.
      DATABASE_POOL_MAX: '4',
    },
  }
}

/** The secrets every process reads; the overlays make them (dev: fixed values; prod: from a file you keep out of git). */
function networkPolicies() {
  const api = PROCESSES.filter((p) => p.kind === 'api')
  const fromPods = (names: string[]) => names.map((name) => ({ podSelector: { matchLabels: selector(name) } }))
  const policies: unknown[] = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny-ingress', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'gateway-from-ingress', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        podSelector: { matchLabels: selector('gateway') },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } } }], ports: [{ port: 'http' }] }],
      },
    },
  ]
  for (const p of api.filter((p) => p.service !== 'gateway'))
    policies.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: `${p.name}-from-callers`, labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        podSelector: { matchLabels: selector(p.name) },
        policyTypes: ['Ingress'],
        ingress: [{ from: fromPods(['gateway', ...(CALLERS[p.name] ?? [])]), ports: [{ port: 'http' }] }],
      },
    })
  policies.push(
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'metrics-from-monitoring', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        podSelector: { matchLabels: { 'app.kubernetes.io/part-of': PART_OF } },
        policyTypes: ['Ingress'],
        ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }], ports: [{ port: 'http' }] }],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'postgres-from-shop', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        podSelector: { matchLabels: { 'cnpg.io/cluster': 'shop-db' } },
        policyTypes: ['Ingress'],
        ingress: [
          { from: fromPods(PROCESSES.filter((p) => p.service !== 'gateway').map((p) => p.name)), ports: [{ port: 5432 }] },
          // The operator manages the instances; the instances replicate among themselves.
          { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'cnpg-system' } } }, { podSelector: { matchLabels: { 'cnpg.io/cluster': 'shop-db' } } }] },
        ],
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'redis-from-shop', labels: { 'app.kubernetes.io/part-of': PART_OF } },
      spec: {
        podSelector: { matchLabels: selector('redis') },
        policyTypes: ['Ingress'],
        ingress: [{ from: fromPods(PROCESSES.map((p) => p.name)), ports: [{ port: 6379 }] }],
      },
    },
  )
  return policies
}

function ingress() {
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: 'shop',
      labels: { 'app.kubernetes.io/part-of': PART_OF },
      annotations: {
        // Server-Sent Events (the live order and wallet stream): no buffering, long reads; the
        // gateway and orders send a comment every 15 s, so an hour is far above any silence.
        'nginx.ingress.kubernetes.io/proxy-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-request-buffering': 'off',
        'nginx.ingress.kubernetes.io/proxy-read-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-send-timeout': '3600',
        'nginx.ingress.kubernetes.io/proxy-http-version': '1.1',
        // Product pictures are uploaded through the gateway (up to 10 MiB).
        'nginx.ingress.kubernetes.io/proxy-body-size': '12m',
      },
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'gateway', port: { name: 'http' } } } }] } }],
    },
  }
}

/** PostgreSQL through the CloudNativePG operator: it makes the `shop-db-app` Secret whose `uri` every service reads. */
function postgresCluster() {
  return {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: 'shop-db', labels: { 'app.kubernetes.io/part-of': PART_OF } },
    spec: {
      instances: 2,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
      // A commit waits for one replica: payments' ledger survives the loss of the primary.
      minSyncReplicas: 1,
      maxSyncReplicas: 1,
      primaryUpdateStrategy: 'unsupervised',
      bootstrap: { initdb: { database: 'shop', owner: 'shop' } },
      postgresql: { parameters: { max_connections: '300', shared_buffers: '256MB' } },
      storage: { size: '20Gi' },
      resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '2Gi' } },
      monitoring: { enablePodMonitor: false },
    },
  }
}

/** Redis for BullMQ: one primary, append-only file fsync'd every second, never evicting, on a volume. */
function redis() {
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: { name: 'redis', labels: labels('redis', 'store') },
      spec: {
        serviceName: 'redis',
        replicas: 1,
        selector: { matchLabels: selector('redis') },
        template: {
          metadata: { labels: labels('redis', 'store') },
          spec: {
            automountServiceAccountToken: false,
            securityContext: { runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999, seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'redis',
                image: 'redis:7.4',
                args: ['--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction', '--dir', '/data', '--requirepass', '$(REDIS_PASSWORD)'],
                env: [{ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'shop-secrets', key: 'REDIS_PASSWORD' } } }],
                ports: [{ name: 'redis', containerPort: 6379 }],
                readinessProbe: { exec: { command: ['sh', '-c', 'redis-cli -a "$REDIS_PASSWORD" --no-auth-warning ping | grep -q PONG'] }, periodSeconds: 5 },
                livenessProbe: { tcpSocket: { port: 'redis' }, periodSeconds: 10 },
                resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [{ name: 'data', mountPath: '/data' }],
              },
            ],
          },
        },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '5Gi' } } } }],
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'redis', labels: labels('redis', 'store') },
      spec: { selector: selector('redis'), ports: [{ name: 'redis', port: 6379, targetPort: 'redis' }] },
    },
  ]
}

const HEADER = `# Generated by \`${COMMAND}\` (scripts/gen-k8s.ts) from the services' manifests: do not edit.\n`
const yaml = (docs: unknown[]) => HEADER + docs.map((d) => `---\n${Bun.YAML.stringify(d, null, 2)}`).join('\n')

/** File name → content of every file of the base. */
export function generate(): Map<string, string> {
  const files = new Map<string, string>()
  for (const p of PROCESSES) files.set(`${p.name}.yaml`, yaml([deployment(p), service(p), disruptionBudget(p), autoscaler(p)]))
  files.set('config.yaml', yaml([configMap()]))
  files.set('network-policies.yaml', yaml(networkPolicies()))
  files.set('ingress.yaml', yaml([ingress()]))
  files.set('postgres.yaml', yaml([postgresCluster()]))
  files.set('redis.yaml', yaml(redis()))
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    labels: [{ pairs: { 'app.kubernetes.io/instance': 'shop' }, includeSelectors: false }],
    resources: [...files.keys()].sort(),
  }
  files.set('kustomization.yaml', HEADER + Bun.YAML.stringify(kustomization, null, 2))
  return files
}

if (import.meta.main) {
  mkdirSync(BASE_DIR, { recursive: true })
  const files = generate()
  for (const old of readdirSync(BASE_DIR)) if (!files.has(old)) rmSync(join(BASE_DIR, old))
  for (const [name, text] of files) writeFileSync(join(BASE_DIR, name), text.endsWith('\n') ? text : `${text}\n`)
  console.log(`wrote ${files.size} files to deploy/k8s/base`)
}
