/**
 * Native notifications for the customer's order changes (the same words as the notice in the
 * window: shared/notices.ts). Electron's Notification is passed in, so this runs under test.
 */
import type { OrderEvent } from '../shared/api.ts'
import { noticeFor } from '../shared/notices.ts'

export interface NotificationApi {
  isSupported(): boolean
  new (options: { title: string; body: string; silent?: boolean }): { show(): void }
}

export function notifyOrderEvent(Notification: NotificationApi, event: OrderEvent): boolean {
  const notice = noticeFor(event)
  if (!notice || !Notification.isSupported()) return false
  new Notification({ title: notice.title, body: notice.body }).show()
  return true
}
