/**
 * The config of the API-first chain most runtime tests use: a loopback Anthropic stub as the primary
 * (`stub/claude-test`, provider `stub`), the fixture CLI as the fallback.
 */
import type { ContractHarness } from '../contract/cli-backend-contract.js';

/** The stub's provider entry under `models.providers` (a fake key the stub accepts). */
function stubProvider(url: string): Record<string, unknown> {
  return { api: 'anthropic-messages', baseUrl: url, apiKey: 'sk-stub-not-a-real-key' };
}

/**
 * `stub/claude-test` first, `fallback` after it; `providers` adds (or replaces) entries of
 * `models.providers`, `safetynet` is the config's `safetynet` section.
 */
export function apiFirstConfig(
  stubUrl: string,
  fallback: Pick<ContractHarness, 'backendId' | 'backend' | 'model'>,
  options: { providers?: Record<string, unknown>; safetynet?: Record<string, unknown> } = {},
): never {
  return {
    ...(options.safetynet === undefined ? {} : { safetynet: options.safetynet }),
    agents: {
      defaults: {
        model: { primary: 'stub/claude-test', fallbacks: [fallback.model] },
        cliBackends: { [fallback.backendId]: fallback.backend },
      },
    },
    models: { providers: { stub: stubProvider(stubUrl), ...options.providers } },
  } as never;
}
