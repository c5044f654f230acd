import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['{cli,parsers,unwind,render,fixtures,bench}/**/*.test.ts'],
    globalSetup: ['./vitest.global-setup.ts'],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // Integration suites spawn perf and chromium; two cores only.
    fileParallelism: true,
    maxWorkers: 2,
  },
})
