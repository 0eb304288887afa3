/**
 * The fixture CLI (`test/fixtures/bin/fake-cli.mjs`) as a custom backend entry: Claude-style JSON
 * output, `--session-id` on the first turn and `--resume` after, `--system`, `--image`, `--`.
 */
import { join } from 'node:path';
import type { CliBackendConfig } from '../../src/config/types.js';

/** Path of the fixture CLI. */
export const FAKE_CLI = join(import.meta.dirname, '../fixtures/bin/fake-cli.mjs');

/** A `cliBackends.<id>` entry running the fixture CLI with its state in `stateDir`. */
export function fakeCliEntry(stateDir: string, overrides: Record<string, unknown> = {}): CliBackendConfig {
  return {
    command: FAKE_CLI,
    args: [],
    resumeArgs: ['--resume', '{sessionId}'],
    output: 'json',
    modelArg: '--model',
    sessionArg: '--session-id',
    sessionMode: 'always',
    systemPromptArg: '--system',
    imageArg: '--image',
    promptSeparator: '--',
    env: { FAKE_CLI_STATE: stateDir },
    ...overrides,
  };
}
