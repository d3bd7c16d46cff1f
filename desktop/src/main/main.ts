/**
 * The Electron main process: one hardened window on the renderer built into dist/renderer, the
 * shop client (tokens, refresh, idempotency keys, the event stream) living here, behind IPC.
 */
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { BrowserWindow, Notification, app, ipcMain, safeStorage, session, shell } from 'electron'
import { ShopClient } from '../shared/client.ts'
import { registerCartIpc, registerIpc } from './ipc.ts'
import { notifyOrderEvent } from './notify.ts'
import { hardenSession, hardenWebContents, isSafeExternalUrl, isTrustedSender, webPreferences } from './security.ts'
import { cartStore, pendingStore, settingsStore, tokenStore } from './stores.ts'

const RENDERER = join(__dirname, '..', 'renderer', 'index.html')
const PRELOAD = join(__dirname, '..', 'preload', 'preload.js')
const APP_URL = pathToFileURL(RENDERER).toString()

app.enableSandbox()
if (!app.requestSingleInstanceLock()) app.quit()

/** The shop server the app talks to: its own pages (the queue dashboard) may open in the browser. */
let shopUrl: string | undefined

app.whenReady().then(async () => {
  hardenSession(session.defaultSession)
  const dir = app.getPath('userData')
  const settings = settingsStore(dir)
  const client = new ShopClient({
    serverUrl: (await settings.load()).serverUrl,
    saveServerUrl: (serverUrl) => ((shopUrl = serverUrl), settings.save({ serverUrl })),
    tokens: tokenStore(safeStorage, dir),
    pending: pendingStore(dir),
  })
  shopUrl = await client.getServerUrl()
  registerIpc(
    ipcMain,
    client,
    (event) => isTrustedSender(event.senderFrame, APP_URL),
    (event) => notifyOrderEvent(Notification, event),
  )
  registerCartIpc(ipcMain, cartStore(dir), (event) => isTrustedSender(event.senderFrame, APP_URL))

  const window = new BrowserWindow({
    width: 1200,
    height: 820,
    minWidth: 800,
    minHeight: 600,
    title: 'Shop',
    show: false,
    webPreferences: webPreferences(PRELOAD),
  })
  // The window's contents were hardened by 'web-contents-created' below, like any other.
  window.once('ready-to-show', () => window.show())
  await window.loadURL(APP_URL)
})

app.on('web-contents-created', (_event, contents) => {
  hardenWebContents(contents, APP_URL, (url) => (isSafeExternalUrl(url, shopUrl) ? shell.openExternal(url) : Promise.resolve()), () => shopUrl)
})
app.on('window-all-closed', () => app.quit())
