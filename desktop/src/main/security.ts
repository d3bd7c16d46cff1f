/**
 * The window's security settings and guards: an isolated, sandboxed renderer without Node,
 * no navigation away from the app, no new windows (https links and the shop server's own pages
 * open in the browser), every
 * permission request denied, and IPC accepted only from the app's own page.
 */
import type { Session, WebContents, WebFrameMain, WebPreferences } from 'electron'

export function webPreferences(preload: string): WebPreferences {
  return {
    preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    spellcheck: false,
  }
}

/**
 * Images may come from the shop's server over http too (a shop on the local network): they cannot
 * run code. Stripe's card form is the one outside code: Stripe.js from js.stripe.com (and the
 * *.js.stripe.com hosts Stripe documents for it), its frames
 * (the card fields; hooks.stripe.com for a bank's 3-D Secure page) and its calls to api.stripe.com,
 * the sources Stripe documents for its Payment Element and nothing wider. The page's own API calls
 * go through main (IPC), never from the page.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self' https://js.stripe.com https://*.js.stripe.com; style-src 'self' 'unsafe-inline'; img-src 'self' https: http: data:; connect-src https://api.stripe.com; frame-src https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

/**
 * Only https links leave the app, and only to the system browser; and the shop server's own pages
 * (the queue dashboard, the API docs) on whatever scheme the app talks to it, since the owner
 * chose that address (http://localhost:8080 on their own machine).
 */
export function isSafeExternalUrl(url: string, shopUrl?: string): boolean {
  try {
    const target = new URL(url)
    if (target.protocol === 'https:') return true
    return !!shopUrl && target.protocol === 'http:' && target.origin === new URL(shopUrl).origin
  } catch {
    return false
  }
}

/** The app's page is the one file it was loaded from; nothing else may call into main. */
export function isTrustedSender(frame: Pick<WebFrameMain, 'url'> | null | undefined, appUrl: string): boolean {
  if (!frame?.url) return false
  try {
    const url = new URL(frame.url)
    const app = new URL(appUrl)
    return url.protocol === 'file:' && url.pathname === app.pathname
  } catch {
    return false
  }
}

export function hardenWebContents(contents: WebContents, appUrl: string, openExternal: (url: string) => Promise<void>, shopUrl: () => string | undefined = () => undefined): void {
  contents.on('will-navigate', (event, url) => {
    if (url !== appUrl && !url.startsWith(`${appUrl}#`)) event.preventDefault()
  })
  // The app's page never redirects; Stripe's frames may (a bank's 3-D Secure page), inside their frame.
  contents.on('will-redirect', (event) => {
    if (event.isMainFrame) event.preventDefault()
  })
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url, shopUrl())) void openExternal(url)
    return { action: 'deny' }
  })
}

/**
 * Every permission is refused (so Apple Pay and Google Pay, which need the payment permission, do
 * not show in Stripe's form: cards only). The policy goes on the app's own page, the window's main
 * frame, and nothing else: Stripe's frames bring their own policy, and the app's (frame-ancestors
 * 'none', form-action 'none') would stop the card fields and a bank's 3-D Secure page.
 */
export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    if (details.resourceType !== 'mainFrame') return callback({})
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
}
