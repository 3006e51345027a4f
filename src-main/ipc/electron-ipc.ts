import type { IpcMain, IpcMainInvokeEvent, WebContents } from 'electron'
import { CHANNEL_NAMES } from '../../src-preload/channels'
import { EVENT_CHANNEL, type Envelope } from '../../src-preload/contract'
import type { AppEvents } from '../app/app-events'
import { toDisposable, type Disposable } from '../common/lifecycle'
import type { Dispatcher } from './dispatch'

/** Decides whether an IPC message comes from a frame we trust (our own renderer's main frame). */
export type SenderCheck = (event: IpcMainInvokeEvent) => boolean

/**
 * Registers one `ipcMain.handle` per contract channel, each behind the sender check and the validating
 * dispatcher, and forwards contract events to the window. The only place main touches `ipcMain`.
 */
export function registerIpc(
  ipcMain: IpcMain,
  dispatch: Dispatcher,
  events: AppEvents,
  isTrusted: SenderCheck,
  target: () => WebContents | undefined
): Disposable {
  for (const channel of CHANNEL_NAMES) {
    ipcMain.handle(channel, async (event, request: unknown): Promise<Envelope<unknown>> => {
      if (!isTrusted(event)) {
        return {
          ok: false,
          error: { name: 'UntrustedSenderError', code: 'FORBIDDEN', message: `${channel}: refused a call from an untrusted frame` }
        }
      }
      return dispatch(channel, request)
    })
  }
  const forward = events.onDidFire((message) => {
    const contents = target()
    if (contents && !contents.isDestroyed()) contents.send(EVENT_CHANNEL, message)
  })
  return toDisposable(() => {
    forward.dispose()
    for (const channel of CHANNEL_NAMES) ipcMain.removeHandler(channel)
  })
}

/**
 * A sender check that trusts only the main frame of `contents` while it shows our renderer (its URL starts
 * with `rendererOrigin`), as GitHub Desktop's trusted-ipc-sender does.
 */
export function trustedSenderCheck(contents: () => WebContents | undefined, rendererOrigin: string): SenderCheck {
  return (event) => {
    const expected = contents()
    const frame = event.senderFrame
    if (!expected || !frame || event.sender !== expected) return false
    return frame === expected.mainFrame && frame.url.startsWith(rendererOrigin)
  }
}
