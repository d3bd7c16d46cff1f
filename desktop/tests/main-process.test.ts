/**
 * The main process and the preload with Electron mocked (its binary cannot run here): security
 * settings, navigation and window guards, permission denial, IPC sender checks, the bridge's one
 * function per operation, and the encrypted token store.
 */
import { afterAll, beforeAll, describe, expect, mock, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiError, type OrderEvent, type ShopApi } from '../src/shared/api.ts'
import { ADMIN_EVENTS_CHANNEL, ADMIN_EVENTS_SUBSCRIBE, CART_LOAD, CART_SAVE, EVENTS_CHANNEL, EVENTS_SUBSCRIBE, OPERATIONS, WALLET_EVENTS_CHANNEL, WALLET_EVENTS_SUBSCRIBE, channel } from '../src/shared/operations.ts'
import { registerCartIpc, registerIpc } from '../src/main/ipc.ts'
import { notifyOrderEvent } from '../src/main/notify.ts'
import { noticeFor } from '../src/shared/notices.ts'
import { CONTENT_SECURITY_POLICY, hardenSession, hardenWebContents, isSafeExternalUrl, isTrustedSender, webPreferences } from '../src/main/security.ts'
import { MAX_CART_BYTES, cartStore, pendingStore, tokenStore } from '../src/main/stores.ts'

const APP_URL = 'file:///opt/Shop/resources/app.asar/dist/renderer/index.html'

describe('window security settings', () => {
  test('isolated, sandboxed, no Node in the page', () => {
    const prefs = webPreferences('/app/preload.js')
    expect(prefs).toMatchObject({
      preload: '/app/preload.js',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
  })

  test('navigation away from the app is blocked; new windows are denied, https links go to the browser', async () => {
    const handlers: Record<string, (event: { preventDefault(): void; isMainFrame?: boolean }, url: string) => void> = {}
    let openHandler: ((details: { url: string }) => { action: string }) | undefined
    const contents = {
      on: (name: string, fn: (event: { preventDefault(): void; isMainFrame?: boolean }, url: string) => void) => (handlers[name] = fn),
      setWindowOpenHandler: (fn: typeof openHandler) => (openHandler = fn),
    }
    const opened: string[] = []
    hardenWebContents(contents as never, APP_URL, async (url) => void opened.push(url), () => 'http://localhost:8080')
    const navigate = (url: string) => {
      let prevented = false
      handlers['will-navigate']!({ preventDefault: () => (prevented = true) }, url)
      return prevented
    }
    expect(navigate('https://evil.example/')).toBe(true)
    expect(navigate('file:///etc/passwd')).toBe(true)
    expect(navigate(`${APP_URL}#/wallet`)).toBe(false)
    expect(openHandler!({ url: 'https://docs.example/help' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'http://insecure.example/' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' })
    // The shop server's own queue dashboard opens in the browser, over its http.
    expect(openHandler!({ url: 'http://localhost:8080/admin/queues' })).toEqual({ action: 'deny' })
    expect(openHandler!({ url: 'http://localhost:9999/admin/queues' })).toEqual({ action: 'deny' })
    expect(opened).toEqual(['https://docs.example/help', 'http://localhost:8080/admin/queues'])
    let prevented = false
    handlers['will-attach-webview']!({ preventDefault: () => (prevented = true) }, '')
    expect(prevented).toBe(true)
    // The page itself never follows a redirect; a frame inside it (Stripe's 3-D Secure page) may.
    const redirect = (isMainFrame: boolean) => {
      let stopped = false
      handlers['will-redirect']!({ preventDefault: () => (stopped = true), isMainFrame }, 'https://hooks.stripe.com/3d_secure')
      return stopped
    }
    expect(redirect(true)).toBe(true)
    expect(redirect(false)).toBe(false)
  })

  test('every permission request and check is denied; the CSP is set on responses', () => {
    let request: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined
    let check: (() => boolean) | undefined
    let headers: ((details: { resourceType: string; responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders?: Record<string, string[]> }) => void) => void) | undefined
    hardenSession({
      setPermissionRequestHandler: (fn: typeof request) => (request = fn),
      setPermissionCheckHandler: (fn: typeof check) => (check = fn),
      webRequest: { onHeadersReceived: (fn: typeof headers) => (headers = fn) },
    } as never)
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'openExternal']) {
      let answer: boolean | undefined
      request!(null, permission, (ok) => (answer = ok))
      expect({ permission, answer }).toEqual({ permission, answer: false })
    }
    expect(check!()).toBe(false)
    let result: Record<string, string[]> | undefined = {}
    headers!({ resourceType: 'mainFrame', responseHeaders: { 'x-other': ['1'] } }, (r) => (result = r.responseHeaders))
    expect(result!['Content-Security-Policy']).toEqual([CONTENT_SECURITY_POLICY])
    expect(result!['x-other']).toEqual(['1'])
    // Stripe's frames keep their own headers: the app's frame-ancestors 'none' would blank the card fields.
    for (const resourceType of ['subFrame', 'script', 'xhr']) {
      headers!({ resourceType, responseHeaders: { 'content-security-policy': ["frame-ancestors https://js.stripe.com"] } }, (r) => (result = r.responseHeaders))
      expect({ resourceType, headers: result as unknown }).toEqual({ resourceType, headers: undefined })
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'")
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval')
  })

  test("the only outside code any of the app's policies allows is Stripe's card form, the same in Electron, the web page and the gateway", async () => {
    const directives = (policy: string) =>
      Object.fromEntries(policy.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...sources]) => [name!, sources]))
    const outside = (policy: string, directive: string) => (directives(policy)[directive] ?? []).filter((s) => s.startsWith('https://')).sort()
    const html = await Bun.file(join(import.meta.dir, '../src/renderer/index.html')).text()
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1]!
    const { SECURITY_HEADERS } = await import('../../services/gateway/src/modules/proxy/security-headers.ts')
    for (const policy of [CONTENT_SECURITY_POLICY, meta, SECURITY_HEADERS['content-security-policy']!]) {
      expect(outside(policy, 'script-src')).toEqual(['https://*.js.stripe.com', 'https://js.stripe.com'])
      expect(outside(policy, 'frame-src')).toEqual(['https://*.js.stripe.com', 'https://hooks.stripe.com', 'https://js.stripe.com'])
      expect(outside(policy, 'connect-src')).toEqual(['https://api.stripe.com'])
      expect(directives(policy)['script-src']).not.toContain("'unsafe-inline'")
    }
  })

  test("only https links, and the shop server's own pages, count as safe external links", () => {
    expect(isSafeExternalUrl('https://example.com')).toBe(true)
    for (const url of ['http://example.com', 'file:///etc/passwd', 'smb://host/share', 'javascript:alert(1)', 'not a url']) expect(isSafeExternalUrl(url)).toBe(false)
    // The shop server's own pages, on its own scheme, and no other http origin.
    expect(isSafeExternalUrl('http://localhost:8080/admin/queues', 'http://localhost:8080')).toBe(true)
    for (const url of ['http://localhost:8081/', 'http://evil.example/', 'file:///etc/passwd']) expect(isSafeExternalUrl(url, 'http://localhost:8080')).toBe(false)
  })

  test('the trusted sender is the app page itself', () => {
    expect(isTrustedSender({ url: APP_URL }, APP_URL)).toBe(true)
    expect(isTrustedSender({ url: `${APP_URL}#/orders` }, APP_URL)).toBe(true)
    expect(isTrustedSender({ url: 'https://evil.example/index.html' }, APP_URL)).toBe(false)
    expect(isTrustedSender({ url: 'file:///tmp/evil/index.html' }, APP_URL)).toBe(false)
    expect(isTrustedSender({ url: '' }, APP_URL)).toBe(false)
    expect(isTrustedSender(null, APP_URL)).toBe(false)
  })
})

describe('IPC', () => {
  function setup(trusted: boolean) {
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>()
    const calls: { op: string; args: unknown[] }[] = []
    const api = new Proxy({} as ShopApi, {
      get: (_t, op: string) =>
        op === 'onOrderEvent' || op === 'onWalletEvent' || op === 'onAdminOrderEvent'
          ? (listener: (e: unknown) => void) => (listener({ seq: 1, event: 'paid', stream: op }), () => {})
          : async (...args: unknown[]) => {
              calls.push({ op, args })
              if (op === 'topUp') throw new ApiError({ status: 422, code: 'validation_failed', detail: 'amount: too large' })
              if (op === 'wallet') throw new Error('secret internal detail')
              return { ok: op }
            },
    })
    registerIpc({ handle: (name: string, fn: never) => handlers.set(name, fn) } as never, api, () => trusted)
    return { handlers, calls }
  }

  test('one handler per operation, plus the event subscription', () => {
    const { handlers } = setup(true)
    for (const op of OPERATIONS) expect(handlers.has(channel(op))).toBe(true)
    expect(handlers.has(EVENTS_SUBSCRIBE)).toBe(true)
    expect(handlers.has(ADMIN_EVENTS_SUBSCRIBE)).toBe(true)
    expect(handlers.has(WALLET_EVENTS_SUBSCRIBE)).toBe(true)
  })

  test('a trusted sender reaches the API with its arguments', async () => {
    const { handlers, calls } = setup(true)
    expect(await handlers.get('shop:placeOrder')!({}, [{ productId: 'p', quantity: 1 }])).toEqual({ ok: 'placeOrder' })
    expect(calls).toEqual([{ op: 'placeOrder', args: [[{ productId: 'p', quantity: 1 }]] }])
  })

  test('an untrusted sender is refused and the API is never called', async () => {
    const { handlers, calls } = setup(false)
    for (const op of OPERATIONS) await expect(handlers.get(channel(op))!({})).rejects.toThrow('untrusted_sender')
    await expect(handlers.get(EVENTS_SUBSCRIBE)!({ sender: {} })).rejects.toThrow('untrusted_sender')
    await expect(handlers.get(ADMIN_EVENTS_SUBSCRIBE)!({ sender: {} })).rejects.toThrow('untrusted_sender')
    expect(calls).toEqual([])
  })

  test('errors cross as the problem, internal ones without their details', async () => {
    const { handlers } = setup(true)
    await expect(handlers.get('shop:topUp')!({}, 10)).rejects.toThrow('"detail":"amount: too large"')
    const internal = await handlers.get('shop:wallet')!({}).catch((e: Error) => e.message)
    expect(internal).not.toContain('secret')
    expect(JSON.parse(internal as string).code).toBe('internal_error')
  })

  test('the cart channels serve the app page only', async () => {
    const handlers = new Map<string, (event: unknown, ...args: unknown[]) => Promise<unknown>>()
    const saved: unknown[] = []
    const store = { load: async () => [{ quantity: 1 }], save: async (lines: unknown) => void saved.push(lines) }
    let trusted = false
    registerCartIpc({ handle: (name: string, fn: never) => handlers.set(name, fn) } as never, store, () => trusted)
    await expect(handlers.get(CART_LOAD)!({})).rejects.toThrow('untrusted_sender')
    await expect(handlers.get(CART_SAVE)!({}, [])).rejects.toThrow('untrusted_sender')
    expect(saved).toEqual([])
    trusted = true
    expect(await handlers.get(CART_LOAD)!({})).toEqual([{ quantity: 1 }])
    await handlers.get(CART_SAVE)!({}, [{ quantity: 2 }])
    expect(saved).toEqual([[{ quantity: 2 }]])
  })

  test('order events are forwarded to the subscribing window', async () => {
    const { handlers } = setup(true)
    const sent: [string, unknown][] = []
    const sender = { id: 7, isDestroyed: () => false, send: (c: string, e: unknown) => sent.push([c, e]), once: () => {} }
    await handlers.get(EVENTS_SUBSCRIBE)!({ sender })
    expect(sent).toEqual([[EVENTS_CHANNEL, { seq: 1, event: 'paid', stream: 'onOrderEvent' }]])
  })

  test("the owner's events go to the console's window on their own channel", async () => {
    const { handlers } = setup(true)
    const sent: [string, unknown][] = []
    const sender = { id: 8, isDestroyed: () => false, send: (c: string, e: unknown) => sent.push([c, e]), once: () => {} }
    await handlers.get(ADMIN_EVENTS_SUBSCRIBE)!({ sender })
    await handlers.get(ADMIN_EVENTS_SUBSCRIBE)!({ sender })
    expect(sent).toEqual([[ADMIN_EVENTS_CHANNEL, { seq: 1, event: 'paid', stream: 'onAdminOrderEvent' }]])
  })

  test('settled top-ups go to the subscribing window on their own channel', async () => {
    const { handlers } = setup(true)
    const sent: [string, unknown][] = []
    const sender = { id: 9, isDestroyed: () => false, send: (c: string, e: unknown) => sent.push([c, e]), once: () => {} }
    await handlers.get(WALLET_EVENTS_SUBSCRIBE)!({ sender })
    expect(sent).toEqual([[WALLET_EVENTS_CHANNEL, { seq: 1, event: 'paid', stream: 'onWalletEvent' }]])
    await expect(setup(false).handlers.get(WALLET_EVENTS_SUBSCRIBE)!({ sender: {} })).rejects.toThrow('untrusted_sender')
  })
})

describe('the preload bridge', () => {
  const invoked: [string, unknown[]][] = []
  const exposed = new Map<string, unknown>()
  beforeAll(() => {
    mock.module('electron', () => ({
      contextBridge: { exposeInMainWorld: (name: string, api: unknown) => exposed.set(name, api) },
      ipcRenderer: {
        invoke: async (ch: string, ...args: unknown[]) => void invoked.push([ch, args]),
        on: () => {},
        removeListener: () => {},
        listenerCount: () => 0,
      },
    }))
  })

  test('exposes window.shop with one function per operation, each on its own channel', async () => {
    await import('../src/preload/preload.ts')
    expect([...exposed.keys()].sort()).toEqual(['shop', 'shopCart'])
    const api = exposed.get('shop') as Record<string, (...a: unknown[]) => Promise<unknown>>
    for (const op of OPERATIONS) {
      invoked.length = 0
      await api[op]!('arg')
      expect(invoked[0]?.[0]).toBe(channel(op))
    }
    // Nothing else leaks through the bridge: no ipcRenderer, no generic invoke.
    expect(Object.keys(api).sort()).toEqual([...OPERATIONS, 'onOrderEvent', 'onWalletEvent', 'onAdminOrderEvent'].sort())
  })

  test('exposes window.shopCart: the cart file, read and written through its two channels', async () => {
    const cart = exposed.get('shopCart') as Record<string, (...a: unknown[]) => Promise<unknown>>
    expect(Object.keys(cart).sort()).toEqual(['load', 'save'])
    invoked.length = 0
    await cart.load!()
    await cart.save!([{ product: { id: 'p' }, quantity: 1 }])
    expect(invoked).toEqual([
      [CART_LOAD, []],
      [CART_SAVE, [[{ product: { id: 'p' }, quantity: 1 }]]],
    ])
  })
})

describe('native notifications', () => {
  const event = (name: OrderEvent['event'], extra: Partial<OrderEvent> = {}): OrderEvent => ({
    seq: 1,
    orderId: crypto.randomUUID(),
    event: name,
    status: 'PAID',
    reason: null,
    shipment: null,
    at: new Date().toISOString(),
    ...extra,
  })
  function fakeNotification(supported = true) {
    const shown: { title: string; body: string }[] = []
    class FakeNotification {
      static isSupported = () => supported
      constructor(private options: { title: string; body: string }) {}
      show() {
        shown.push(this.options)
      }
    }
    return { Notification: FakeNotification, shown }
  }

  test('every status the customer waits for shows one, in the same words as the window', () => {
    const { Notification, shown } = fakeNotification()
    const shipment = { carrier: 'DHL', trackingNumber: 'JD0001', shippedAt: new Date().toISOString(), deliveredAt: null }
    const events = [
      event('paid'),
      event('cancelled', { reason: 'insufficient_funds' }),
      event('shipped', { shipment }),
      event('delivered'),
      event('refunded'),
      event('return_requested'),
      event('returned'),
    ]
    for (const e of events) expect(notifyOrderEvent(Notification, e)).toBe(true)
    expect(shown).toEqual(events.map((e) => noticeFor(e)!))
    expect(shown.map((n) => n.title)).toEqual(['Order paid', 'Order cancelled', 'Order shipped', 'Order delivered', 'Refund received', 'Return requested', 'Return received'])
    expect(shown[1]!.body).toContain('not enough money in the wallet')
    expect(shown[2]!.body).toContain('DHL, tracking number JD0001')
  })

  test('steps nobody waits for show none; neither does a system without notifications', () => {
    const { Notification, shown } = fakeNotification()
    expect(notifyOrderEvent(Notification, event('created'))).toBe(false)
    expect(notifyOrderEvent(Notification, event('refund_requested'))).toBe(false)
    const off = fakeNotification(false)
    expect(notifyOrderEvent(off.Notification, event('paid'))).toBe(false)
    expect([shown, off.shown]).toEqual([[], []])
  })
})

describe('stores on disk', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shop-desktop-'))
  afterAll(() => rmSync(dir, { recursive: true, force: true }))
  // A stand-in for the OS keychain: reversible, and visibly not plain text.
  const fakeSafeStorage = (available = true) => ({
    isAsyncEncryptionAvailable: async () => available,
    encryptStringAsync: async (text: string) => Buffer.from(`enc:${Buffer.from(text).toString('base64').split('').reverse().join('')}`),
    decryptStringAsync: async (data: Buffer) => ({
      result: Buffer.from(data.toString().slice(4).split('').reverse().join(''), 'base64').toString(),
      shouldReEncrypt: false,
    }),
  })

  test('the refresh token is stored encrypted, read back, and deleted on sign-out', async () => {
    const store = tokenStore(fakeSafeStorage(), dir)
    await store.save('refresh-token-secret-123')
    const onDisk = readFileSync(join(dir, 'session.bin'), 'utf8')
    expect(onDisk).not.toContain('refresh-token-secret-123')
    expect(await store.load()).toBe('refresh-token-secret-123')
    await store.save(null)
    expect(existsSync(join(dir, 'session.bin'))).toBe(false)
    expect(await store.load()).toBeNull()
  })

  test('without OS encryption the token is never written', async () => {
    const sub = mkdtempSync(join(dir, 'noenc-'))
    await tokenStore(fakeSafeStorage(false), sub).save('token')
    expect(existsSync(join(sub, 'session.bin'))).toBe(false)
  })

  test('the cart file: kept across a restart, emptied, refused when not a list or too large', async () => {
    const sub = mkdtempSync(join(dir, 'cart-'))
    const lines = [{ product: { id: 'p1', name: 'Mug', price: 1299 }, quantity: 2 }]
    await cartStore(sub).save(lines)
    expect(await cartStore(sub).load()).toEqual(lines)
    await expect(cartStore(sub).save({ not: 'a list' })).rejects.toThrow('must be a list')
    await expect(cartStore(sub).save([{ blob: 'x'.repeat(MAX_CART_BYTES) }])).rejects.toThrow('too large')
    expect(await cartStore(sub).load()).toEqual(lines)
    await cartStore(sub).save([])
    expect(existsSync(join(sub, 'cart.json'))).toBe(false)
    // A damaged file reads as an empty cart, never as an error.
    await Bun.write(join(sub, 'cart.json'), '{ half a fi')
    expect(await cartStore(sub).load()).toEqual([])
  })

  test('rapid cart writes land in order: the last change is the one kept', async () => {
    const sub = mkdtempSync(join(dir, 'cart-order-'))
    const store = cartStore(sub)
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.save([{ product: { id: 'p' }, quantity: i + 1 }])))
    expect(await store.load()).toEqual([{ product: { id: 'p' }, quantity: 20 }])
  })

  test('pending actions survive a restart of the app', async () => {
    const action = { key: 'k1', kind: 'order' as const, fingerprint: 'p1x1', startedAt: new Date().toISOString() }
    await pendingStore(dir).save([action])
    expect(await pendingStore(dir).load()).toEqual([action])
  })
})
