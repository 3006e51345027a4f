import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import vue from '@vitejs/plugin-vue'

// Main bundles two entries: the Electron shell (index) and the electron-free serve mode (serve),
// so `rose-studio serve` runs on plain Node without the Electron binary.
export default defineConfig({
  main: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/index.ts'),
          serve: resolve(__dirname, 'src-main/serve.ts'),
          'engine-host': resolve(__dirname, 'src-main/engine/host/engine-host-main.ts')
        }
      }
    }
  },
  preload: {
    build: {
      externalizeDeps: true,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-preload/index.ts') },
        // A sandboxed preload cannot load ES modules.
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } }
    },
    plugins: [vue()]
  }
})
