import type { ShopApi } from '../shared/api.ts'
import { createBrowserApi } from './api-browser.ts'

declare global {
  interface Window {
    /** Present in Electron: the preload bridge. */
    shop?: ShopApi
  }
}

/** The preload bridge in Electron, the in-page client in a browser. */
export const api: ShopApi = window.shop ?? createBrowserApi()
