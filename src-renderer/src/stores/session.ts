import { defineStore } from 'pinia'
import { markRaw, ref, shallowRef } from 'vue'
import type { ProjectInfoValue } from '../../../src-preload/contract'
import type { ConnectionState, RoseApi } from '../api'

/** The link to main and the open project: every other store reaches the API through this one. */
export const useSessionStore = defineStore('session', () => {
  const api = shallowRef<RoseApi | null>(null)
  const connection = ref<ConnectionState>({ kind: 'connecting' })
  const project = ref<ProjectInfoValue | null>(null)
  const version = ref<string | null>(null)
  /** Bumped each time the link (re)opens, so views reload what they may have missed meanwhile. */
  const epoch = ref(0)
  let detach: (() => void) | null = null

  /** Adopts an API client (kept out of reactivity) and follows its connection state. */
  function attach(client: RoseApi): void {
    detach?.()
    api.value = markRaw(client)
    connection.value = client.connection
    detach = client.onConnectionChange((state) => {
      connection.value = state
      if (state.kind === 'open') epoch.value += 1
    })
    if (client.connection.kind === 'open') epoch.value += 1
  }

  /** The API client; throws when called before `attach` (a programming error). */
  function requireApi(): RoseApi {
    if (!api.value) throw new Error('RoseApi used before the session was attached')
    return api.value
  }

  /** Reloads the project summary and app info. */
  async function refreshProject(): Promise<void> {
    const client = requireApi()
    const [info, app] = await Promise.all([client.invoke('project:current', {}), client.invoke('app:info', {})])
    project.value = info
    version.value = app.version
  }

  return { api, connection, project, version, epoch, attach, requireApi, refreshProject }
})
