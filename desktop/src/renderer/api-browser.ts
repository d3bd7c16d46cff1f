/**
 * The web build's stand-in for the preload bridge: the shop client runs in the page, against the
 * gateway that served it. The refresh token stays in sessionStorage (this tab, until it closes);
 * pending Idempotency-Keys in localStorage, so a reload or a crash never pays twice.
 */
import type { PendingAction } from '../shared/api.ts'
import { ShopClient } from '../shared/client.ts'

const REFRESH = 'shop.refreshToken'
const PENDING = 'shop.pendingActions'
const SERVER = 'shop.serverUrl'

export function createBrowserApi(): ShopClient {
  return new ShopClient({
    serverUrl: localStorage.getItem(SERVER) ?? location.origin,
    saveServerUrl: async (url) => localStorage.setItem(SERVER, url),
    tokens: {
      load: async () => sessionStorage.getItem(REFRESH),
      save: async (token) => (token ? sessionStorage.setItem(REFRESH, token) : sessionStorage.removeItem(REFRESH)),
    },
    pending: {
      load: async () => JSON.parse(localStorage.getItem(PENDING) ?? '[]') as PendingAction[],
      save: async (actions) => localStorage.setItem(PENDING, JSON.stringify(actions)),
    },
  })
}
