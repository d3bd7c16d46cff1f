/**
 * The main side of the bridge: one handler per operation, each refusing any sender that is not
 * the app's own page, and errors turned into the problem (as JSON in the message) so the renderer
 * can show its detail.
 */
import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { ApiError, type OrderEvent, type ShopApi } from '../shared/api.ts'
import {
  ADMIN_EVENTS_CHANNEL,
  ADMIN_EVENTS_SUBSCRIBE,
  ADMIN_EVENTS_UNSUBSCRIBE,
  CART_LOAD,
  CART_SAVE,
  EVENTS_CHANNEL,
  EVENTS_SUBSCRIBE,
  EVENTS_UNSUBSCRIBE,
  OPERATIONS,
  WALLET_EVENTS_CHANNEL,
  WALLET_EVENTS_SUBSCRIBE,
  WALLET_EVENTS_UNSUBSCRIBE,
  channel,
} from '../shared/operations.ts'

export class UntrustedSenderError extends Error {
  constructor() {
    super(JSON.stringify({ status: 403, code: 'untrusted_sender', detail: 'This window may not use the shop.' }))
  }
}

function bridgeError(error: unknown): Error {
  if (error instanceof ApiError) return new Error(JSON.stringify(error.problem))
  if (error instanceof UntrustedSenderError) return error
  return new Error(JSON.stringify({ status: 500, code: 'internal_error', detail: 'Something went wrong in the app. Please try again.' }))
}

export function registerIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  api: ShopApi,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
  onEvent?: (event: OrderEvent) => void,
): void {
  for (const operation of OPERATIONS) {
    ipcMain.handle(channel(operation), async (event, ...args: unknown[]) => {
      if (!isTrusted(event)) throw new UntrustedSenderError()
      try {
        return await (api[operation] as (...a: unknown[]) => Promise<unknown>)(...args)
      } catch (error) {
        throw bridgeError(error)
      }
    })
  }

  streamIpc(ipcMain, isTrusted, EVENTS_SUBSCRIBE, EVENTS_UNSUBSCRIBE, (contents) =>
    api.onOrderEvent((orderEvent) => {
      if (!contents.isDestroyed()) contents.send(EVENTS_CHANNEL, orderEvent)
      onEvent?.(orderEvent)
    }),
  )
  // Settled top-ups ride the same connection (the client shares one stream for both).
  streamIpc(ipcMain, isTrusted, WALLET_EVENTS_SUBSCRIBE, WALLET_EVENTS_UNSUBSCRIBE, (contents) =>
    api.onWalletEvent((walletEvent) => {
      if (!contents.isDestroyed()) contents.send(WALLET_EVENTS_CHANNEL, walletEvent)
    }),
  )
  // The owner's stream: to the console's window only, no native notification per customer order.
  streamIpc(ipcMain, isTrusted, ADMIN_EVENTS_SUBSCRIBE, ADMIN_EVENTS_UNSUBSCRIBE, (contents) =>
    api.onAdminOrderEvent((orderEvent) => {
      if (!contents.isDestroyed()) contents.send(ADMIN_EVENTS_CHANNEL, orderEvent)
    }),
  )
}

/** One live stream per window that asks for it, stopped when it asks or closes. */
function streamIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
  subscribe: string,
  unsubscribe: string,
  start: (contents: WebContents) => () => void,
): void {
  const subscriptions = new Map<number, () => void>()
  ipcMain.handle(subscribe, async (event) => {
    if (!isTrusted(event)) throw new UntrustedSenderError()
    const contents: WebContents = event.sender
    if (subscriptions.has(contents.id)) return
    subscriptions.set(contents.id, start(contents))
    contents.once('destroyed', () => {
      subscriptions.get(contents.id)?.()
      subscriptions.delete(contents.id)
    })
  })
  ipcMain.handle(unsubscribe, async (event) => {
    if (!isTrusted(event)) throw new UntrustedSenderError()
    subscriptions.get(event.sender.id)?.()
    subscriptions.delete(event.sender.id)
  })
}

/** The cart file's two channels, for the app's own page only. */
export function registerCartIpc(
  ipcMain: Pick<IpcMain, 'handle'>,
  store: { load(): Promise<unknown[]>; save(lines: unknown): Promise<void> },
  isTrusted: (event: IpcMainInvokeEvent) => boolean,
): void {
  ipcMain.handle(CART_LOAD, async (event) => {
    if (!isTrusted(event)) throw new UntrustedSenderError()
    return store.load()
  })
  ipcMain.handle(CART_SAVE, async (event, lines: unknown) => {
    if (!isTrusted(event)) throw new UntrustedSenderError()
    await store.save(lines)
  })
}
