import { createPinia } from 'pinia'
import { createApp } from 'vue'
import App from './App.vue'
import { detectRoseApi } from './api'
import { useSessionStore } from './stores/session'
import './styles.css'

// The transport is decided once, before anything renders: the preload bridge in Electron, else the
// serve-mode WebSocket with the page's token.
const pinia = createPinia()
useSessionStore(pinia).attach(detectRoseApi(window))
createApp(App).use(pinia).mount('#app')
