/**
 * The set-up of the runtime rule tests: a runtime whose primary and only fallback are two fixture
 * CLIs (`first`, `second`), with its LevelDB state folder in `<dir>/state`.
 */
import { join } from 'node:path';
import { createRuntime, type Runtime } from '../../src/index.js';
import type { SafetynetConfigFile } from '../../src/config/types.js';
import type { ContractHarness } from '../contract/cli-backend-contract.js';
import { fakeCliBackend } from '../contract/harnesses.js';

type AgentDefaults = NonNullable<NonNullable<SafetynetConfigFile['agents']>['defaults']>;

/**
 * Create the two fixture CLIs under `dir` and the runtime on them.
 * @param extra more `agents.defaults` keys, given the two backends (e.g. an allowlist naming `first`).
 */
export async function twoCliRuntime(
  dir: string,
  extra: (backends: { first: ContractHarness; second: ContractHarness }) => Partial<AgentDefaults> = () => ({}),
): Promise<{ first: ContractHarness; second: ContractHarness; runtime: Runtime }> {
  const first = await fakeCliBackend(join(dir, 'first'));
  const second = await fakeCliBackend(join(dir, 'second'));
  const runtime = await createRuntime({
    config: {
      agents: {
        defaults: {
          model: { primary: first.model, fallbacks: [second.model] },
          cliBackends: { [first.backendId]: first.backend, [second.backendId]: second.backend },
          ...extra({ first, second }),
        },
      },
    },
    storeLocation: join(dir, 'state'),
  });
  return { first, second, runtime };
}
