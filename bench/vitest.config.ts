import { defineConfig } from 'vitest/config'

// Benchmarks are plain tests that print their figures; run them one file at a time so timings do not compete.
export default defineConfig({
  test: {
    include: ['bench/**/*.bench.ts'],
    environment: 'node',
    testTimeout: 600_000,
    fileParallelism: false,
    disableConsoleIntercept: true,
    reporters: ['verbose']
  }
})
