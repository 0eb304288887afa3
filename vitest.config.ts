import { defineConfig } from 'vitest/config';

// Real processes and real CLIs run in these tests: generous per-test limits, but every test
// server and process is bounded by the test itself and stops on its own.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/cli and some store tests run dist/: rebuild it first when src/ is newer
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
