/// <reference types="vite/client" />

interface Window {
  /** The preload bridge, present only in the Electron window (see src-preload). */
  readonly rose?: unknown
}
