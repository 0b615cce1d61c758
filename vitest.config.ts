import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Database tests open real SQLite files and MariaDB connections; forks keep
    // native handles (better-sqlite3) out of worker threads.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    globalSetup: ['test/support/global-setup.ts'],
    // `npm test` measures what the suite runs of src/ (V8's own counters, no
    // instrumentation) and fails under the gate. Code run only in child processes (the CLI
    // tests, dist/) is not counted: the figure is a floor. Reported even when a test
    // fails, so a red run still says where coverage stands.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      exclude: ['src/db/migrations/**'],
      reporter: ['text-summary', 'json-summary'],
      reportsDirectory: 'coverage',
      reportOnFailure: true,
      thresholds: { lines: 80, branches: 70 },
    },
  },
});
