// Mutation testing (`npm run mutate`; not part of `npm test`). See README, "Mutation testing".
import fs from 'node:fs';
import path from 'node:path';

const TEMP_DIR = '.stryker-tmp';

// The tests find the real-CLI fixtures in the `shared` folder beside the repository, three levels up
// from test/support. Inside Stryker's sandbox (.stryker-tmp/sandbox-*/) that is .stryker-tmp/shared,
// so that name links to the real folder. Stryker deletes only the sandbox, never the link's target.
const sharedDir = path.resolve(import.meta.dirname, '..', 'shared');
const sharedLink = path.resolve(import.meta.dirname, TEMP_DIR, 'shared');
if (fs.existsSync(sharedDir) && !fs.existsSync(sharedLink)) {
  fs.mkdirSync(path.dirname(sharedLink), { recursive: true });
  fs.symlinkSync(sharedDir, sharedLink, 'dir');
}

/**
 * Two scopes, each with only the tests that can kill its mutants (a static mutant reruns every test
 * of its scope, so a small test set keeps a run in minutes): `failover` (this file's default) and
 * `machines` (`stryker.machines.config.mjs`). vitest.mutate.config.ts reads the scope from
 * SAFETYNET_MUTATE_SCOPE, which the test runner processes inherit.
 */
process.env.SAFETYNET_MUTATE_SCOPE ??= 'failover';
export const scope = process.env.SAFETYNET_MUTATE_SCOPE;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  // related: false — vitest's related mode finds no tests inside Stryker's sandbox here; perTest coverage narrows the tests anyway.
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: [],
  // The machines scope runs every test per mutant: its model test builds its tests from the paths at
  // collection time, so per-test coverage credits no test with the machine's code and every mutant
  // "survives" untested (a perTest run scored 72 % with the survivors covered by 0 tests).
  coverageAnalysis: scope === 'machines' ? 'off' : 'perTest',
  // The failover policy and the failure classifiers, or the request machine without its diagram code.
  mutate:
    scope === 'machines'
      ? ['src/machines/**/*.ts', '!src/machines/visualize.ts']
      : ['src/failover/**/*.ts', 'src/actors/api/classify-api.ts', 'src/actors/cli/watch.ts', 'src/actors/cli/retry-notice*.ts'],
  // Reruns only test the mutants whose code or covering tests changed.
  incremental: true,
  incrementalFile: `reports/stryker-incremental-${scope}.json`,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `reports/mutation/${scope}.html` },
  jsonReporter: { fileName: `reports/mutation/${scope}.json` },
  tempDirName: TEMP_DIR,
  // Static mutants (module-level tables: the text rules, code maps, ladders, the machine config) are the
  // rules themselves: keep them. Each runs every test after a fresh module load (slow, minutes per file).
  // `ignoreStatic: true` or `--testFiles` would run them with runtime activation, where they cannot
  // change anything: false survivors.
  ignoreStatic: false,
  concurrency: 2,
  thresholds: { high: 90, low: 80, break: null },
};
