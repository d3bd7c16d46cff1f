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

/** Images may come from the shop's server over http too (a shop on the local network): they cannot run code. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' https: http: data:; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

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
  contents.on('will-redirect', (event) => event.preventDefault())
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.setWindowOpenHandler(({ url }) => {
    if (isSafeExternalUrl(url, shopUrl())) void openExternal(url)
    return { action: 'deny' }
  })
}

export function hardenSession(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false))
  session.setPermissionCheckHandler(() => false)
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
}
