/**
 * A fully resolved CLI backend for tests, built from spec defaults plus overrides.
 */
import type { ResolvedCliBackend } from '../../src/config/types.js';

/** A resolved backend with the spec's defaults (`json`, `arg`, `always`, `first`, `repeat`). */
export function testBackend(overrides: Partial<ResolvedCliBackend> & { id: string }): ResolvedCliBackend {
  return {
    command: 'fake-cli',
    args: [],
    resumeArgs: [],
    output: 'json',
    resumeOutput: undefined,
    input: 'arg',
    maxPromptArgChars: undefined,
    env: {},
    clearEnv: [],
    modelArg: undefined,
    modelAliases: {},
    sessionArg: undefined,
    sessionArgs: [],
    sessionMode: 'always',
    sessionIdFields: ['session_id', 'sessionId', 'conversation_id', 'conversationId'],
    systemPromptArg: undefined,
    systemPromptWhen: 'first',
    imageArg: undefined,
    imageMode: 'repeat',
    serialize: false,
    maxConcurrent: undefined,
    maxQueue: 32,
    promptSeparator: undefined,
    watchdog: {
      fresh: { noOutputTimeoutRatio: 0.8, minMs: 180_000, maxMs: 600_000 },
      resume: { noOutputTimeoutRatio: 0.3, minMs: 60_000, maxMs: 180_000 },
    },
    ...overrides,
  };
}
