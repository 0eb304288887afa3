import { defineConfig } from 'vitest/config';

// The unit tests StrykerJS runs against each mutant (`npm run mutate`, stryker.config.mjs): the pure
// failover policy, the failure classifiers and the request machine. No processes, no LevelDB, so a
// mutant run takes milliseconds. The diagram snapshot (test/machines/visualizations.test.ts) is left
// out on purpose: it would "kill" structural mutants without proving any behaviour.
export default defineConfig({
  test: {
    include:
      process.env.SAFETYNET_MUTATE_SCOPE === 'machines'
        ? ['test/machines/**/*.test.ts']
        : [
            'test/failover/**/*.test.ts',
            'test/actors/api/classify-api*.test.ts',
            'test/actors/cli/watch*.test.ts',
            'test/actors/cli/parse/**/*.test.ts',
          ],
    exclude: ['test/machines/visualizations.test.ts'],
    testTimeout: 30_000,
  },
});
