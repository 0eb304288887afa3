/**
 * A CLI turn plan for running a fixture program straight through `runCliProcess` (no planner): a new
 * session in JSON parse mode, this process's environment, a 30 s no-output watchdog; `overrides`
 * replace any field.
 */
import type { CliTurnPlan } from '../../src/actors/types.js';

/** This process's environment without unset entries, as a plan's `env`. */
export const PROCESS_ENV: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined),
);

/** A plan that runs `command argv…`. */
export function fixturePlan(command: string, argv: string[] = [], overrides: Partial<CliTurnPlan> = {}): CliTurnPlan {
  return {
    command,
    argv,
    stdin: undefined,
    env: PROCESS_ENV,
    cwd: process.cwd(),
    resume: false,
    sessionIdSent: undefined,
    newSession: true,
    parseMode: 'json',
    noOutputTimeoutMs: 30_000,
    continuation: 'new',
    historyTurns: 0,
    ...overrides,
  };
}
