/**
 * The real CLI fixtures (`../shared/fixtures/real-cli`, 139 captured runs of claude 2.1.197,
 * codex 0.169.0, gemini 0.61.0) as `CliRunOutput`s, with the outcome each one should give.
 *
 * The shared folder sits beside the repo (`/work/main` and `/work/shared`; CI clones the repo
 * with `shared/` beside it), so it is resolved relative to this file.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GEMINI_CLI_BACKEND } from '../../src/config/builtins.js';
import { mergeBackend } from '../../src/config/merge.js';
import type { OutputMode, ResolvedCliBackend } from '../../src/config/types.js';
import type { CliRunOutput } from '../../src/actors/types.js';
import type { FailureReason } from '../../src/errors.js';

/** Absolute path of `shared/fixtures/real-cli`. */
export const FIXTURES_DIR = path.resolve(import.meta.dirname, '../../../shared/fixtures/real-cli');

/** The CLIs in the fixture set. */
export type FixtureCli = 'claude' | 'codex' | 'gemini';

/** One row of `index.json`. */
export interface FixtureRow {
  cli: FixtureCli;
  case: string;
  suggested_class: string;
  exit_code: number | null;
  signal: string | null;
  killed_by_harness_after_ms: number | null;
  spawn_error: string | null;
  duration_ms: number;
  model_requests: number;
  /** stdout file, relative to {@link FIXTURES_DIR}. */
  stdout: string;
  /** stderr file, relative to {@link FIXTURES_DIR}, or null when stderr was empty. */
  stderr: string | null;
  meta: string;
  description: string;
}

/** The fields of `<case>.meta.json` the tests read. */
export interface FixtureMeta {
  argv: string[];
  cwd: string;
  stdin: string | { mode: string; chars: number };
  stub?: { config?: { modes?: string[]; text?: string } | null } | null;
}

/** Every row of `index.json`, in file order. */
export function loadFixtureRows(): FixtureRow[] {
  const index = JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'index.json'), 'utf8')) as { cases: FixtureRow[] };
  return index.cases;
}

/** `<cli>/<case>`, the id used in test names and override tables. */
export function fixtureId(row: Pick<FixtureRow, 'cli' | 'case'>): string {
  return `${row.cli}/${row.case}`;
}

/** Reads a fixture file (relative to {@link FIXTURES_DIR}) as UTF-8; `''` for null. */
export function readFixtureFile(relative: string | null): string {
  return relative === null ? '' : readFileSync(path.join(FIXTURES_DIR, relative), 'utf8');
}

/** The parsed `<case>.meta.json`. */
export function loadFixtureMeta(row: FixtureRow): FixtureMeta {
  return JSON.parse(readFixtureFile(row.meta)) as FixtureMeta;
}

/** The CLI's own argv: unwraps the `*-tty` cases run as `script -qec '<cmd> <args…>' /dev/null`. */
export function effectiveArgv(argv: readonly string[]): string[] {
  if (argv[0]?.endsWith('/script') === true && argv[1] === '-qec' && argv[2] !== undefined) {
    return [...argv[2].matchAll(/'([^']*)'/g)].map((match) => match[1] ?? '');
  }
  return [...argv];
}

/** The value after `flag` in argv (options only: stops at `--`). */
function flagValue(argv: readonly string[], flag: string): string | undefined {
  const end = argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--');
  const at = argv.indexOf(flag);
  return at !== -1 && at < end ? argv[at + 1] : undefined;
}

/** The session id a run sent: `--session-id <id>`, `--resume <id>`, or Codex `exec … resume <id>`. */
export function fixtureSessionIdSent(argv: readonly string[]): string | undefined {
  const flagged = flagValue(argv, '--session-id') ?? flagValue(argv, '--resume');
  if (flagged !== undefined) return flagged;
  if (argv[1] === 'exec') {
    const at = argv.indexOf('resume');
    if (at !== -1 && argv[at + 1] !== undefined && argv[at + 1] !== '--help') return argv[at + 1];
  }
  return undefined;
}

/** True when the run resumed a session (`--resume`, Codex `exec … resume`). */
export function fixtureIsResume(argv: readonly string[]): boolean {
  return flagValue(argv, '--resume') !== undefined || (argv[1] === 'exec' && argv.includes('resume'));
}

/**
 * The parse mode the run's argv asked for: Claude `--output-format json|stream-json|text` →
 * `json` / `jsonl` / `text`; Codex `--json` → `jsonl`, else `text`; Gemini → `json`.
 */
export function fixtureParseMode(cli: FixtureCli, argv: readonly string[]): OutputMode {
  if (cli === 'codex') return argv.includes('--json') ? 'jsonl' : 'text';
  const format = flagValue(argv, '--output-format');
  if (format === 'stream-json') return 'jsonl';
  if (format === 'text') return 'text';
  return 'json';
}

/** A resolved backend shaped like the built-ins (`claude-cli`, `codex-cli`; `gemini-cli` is the built-in itself). */
export function fixtureBackend(cli: FixtureCli, overrides: Partial<ResolvedCliBackend> = {}): ResolvedCliBackend {
  if (cli === 'gemini') return { ...mergeBackend('gemini-cli', GEMINI_CLI_BACKEND, undefined), ...overrides };
  const watchdog = { noOutputTimeoutRatio: 0.8, minMs: 60_000, maxMs: 180_000 };
  const base: ResolvedCliBackend = {
    id: `${cli}-cli`,
    command: cli,
    args: [],
    resumeArgs: [],
    output: cli === 'codex' ? 'jsonl' : 'json',
    resumeOutput: undefined,
    input: 'arg',
    maxPromptArgChars: undefined,
    env: {},
    clearEnv: [],
    modelArg: '--model',
    modelAliases: {},
    sessionArg: cli === 'codex' ? undefined : '--session-id',
    sessionArgs: [],
    sessionMode: cli === 'claude' ? 'always' : 'existing',
    sessionIdFields: cli === 'codex' ? ['thread_id'] : ['session_id', 'sessionId', 'conversation_id', 'conversationId'],
    systemPromptArg: undefined,
    systemPromptWhen: 'first',
    imageArg: undefined,
    imageMode: 'repeat',
    serialize: false,
    maxConcurrent: undefined,
    maxQueue: 32,
    promptSeparator: '--',
    watchdog: { fresh: watchdog, resume: watchdog },
  };
  return { ...base, ...overrides };
}

/** The fixture as the process runner would hand it to the parser. */
export function fixtureRun(row: FixtureRow): CliRunOutput {
  const meta = loadFixtureMeta(row);
  const argv = effectiveArgv(meta.argv);
  const sessionIdSent = fixtureSessionIdSent(argv);
  return {
    plan: {
      command: argv[0] ?? row.cli,
      argv: argv.slice(1),
      cwd: meta.cwd,
      resume: fixtureIsResume(argv),
      sessionIdSent,
      newSession: !fixtureIsResume(argv),
      parseMode: fixtureParseMode(row.cli, argv),
      noOutputTimeoutMs: 0,
      continuation: 'new' as const,
      historyTurns: 0,
      stdinChars: typeof meta.stdin === 'object' ? meta.stdin.chars : 0,
    },
    stdout: readFixtureFile(row.stdout),
    stderr: readFixtureFile(row.stderr),
    exitCode: row.exit_code ?? undefined,
    signal: row.signal ?? undefined,
    durationMs: row.duration_ms,
  };
}

/**
 * `suggested_class` → our {@link FailureReason}: `context_length` → `context_overflow`,
 * `session` → `session_expired`, `usage` / `spawn_error` → `config`; `success` and `info` as is.
 * Qualifiers in parentheses (`(killed …)`, `(bound to cwd)`) are dropped.
 */
export function mapSuggestedClass(label: string): FailureReason | 'success' | 'info' | 'hang' {
  const head = label.replace(/\s*\(.*$/, '').trim();
  switch (head) {
    case 'context_length':
      return 'context_overflow';
    case 'session':
      return 'session_expired';
    case 'usage':
    case 'spawn_error':
      return 'config';
    case 'hang on stdin':
      return 'hang';
    default:
      return head as FailureReason | 'success' | 'info';
  }
}

/**
 * Fixtures where our classification deliberately differs from `suggested_class`, with the reason.
 * Tests assert our reason for these and report them.
 */
export const JUDGED_DIFFERENTLY: Readonly<Record<string, { reason: FailureReason; why: string }>> = {
  'codex/http-500': {
    reason: 'overloaded',
    why: 'Codex reports the 500 only as "We’re currently experiencing high demand…" (no status): "high demand" is overloaded by the FailureReason contract and the brief.',
  },
  'codex/http-500-few-retries': {
    reason: 'overloaded',
    why: 'same text as codex/http-500: "high demand" → overloaded.',
  },
  'claude/session-id-reused': {
    reason: 'config',
    why: '"Session ID … is already in use" means the argv builder sent --session-id where --resume was due (real-clis.md §10: "use --resume"): a configuration/argv bug, per the brief.',
  },
};

/** What parsing a fixture must give. */
export type FixtureExpectation =
  | { kind: 'info' }
  | { kind: 'success'; text: string | undefined; sessionId: string | undefined }
  | { kind: 'failure'; reason: FailureReason; suggested: string }
  /** Killed by the harness (or never spawned): decided by the runner; the parser must not succeed. */
  | { kind: 'not-success'; suggested: string; reason: FailureReason | undefined };

/** The session id a successful fixture should report: the id sent, else the one printed. */
function printedSessionId(run: CliRunOutput): string | undefined {
  if (run.plan.sessionIdSent !== undefined) return run.plan.sessionIdSent;
  const printed = /"(?:session_id|thread_id)"\s*:\s*"([^"]+)"/.exec(run.stdout)?.[1];
  return printed ?? /^session id:\s*(\S+)/m.exec(run.stderr)?.[1];
}

/** The expected outcome of one fixture row. */
export function expectedOutcome(row: FixtureRow): FixtureExpectation {
  const mapped = mapSuggestedClass(row.suggested_class);
  if (mapped === 'info') return { kind: 'info' };
  const killed = row.killed_by_harness_after_ms !== null || row.spawn_error !== null;
  if (mapped === 'success') {
    const run = fixtureRun(row);
    return { kind: 'success', text: loadFixtureMeta(row).stub?.config?.text, sessionId: printedSessionId(run) };
  }
  const reason = mapped === 'hang' ? undefined : mapped;
  if (killed || reason === undefined) return { kind: 'not-success', suggested: row.suggested_class, reason };
  const judged = JUDGED_DIFFERENTLY[fixtureId(row)];
  return { kind: 'failure', reason: judged?.reason ?? reason, suggested: row.suggested_class };
}

/** The row `<cli>/<case>`; throws when the fixture set has no such case. */
export function fixtureRow(id: string): FixtureRow {
  const row = loadFixtureRows().find((candidate) => fixtureId(candidate) === id);
  if (row === undefined) throw new Error(`no fixture ${id} in ${FIXTURES_DIR}/index.json`);
  return row;
}

/** {@link fixtureRun} of `<cli>/<case>`, with optional overrides (e.g. `{ exitCode: 0 }`). */
export function fixtureRunById(id: string, overrides: Partial<CliRunOutput> = {}): CliRunOutput {
  return { ...fixtureRun(fixtureRow(id)), ...overrides };
}

/** Options of {@link syntheticRun}. */
export interface SyntheticRunOptions {
  stdout?: string;
  stderr?: string;
  exitCode?: number | undefined;
  signal?: string | undefined;
  parseMode?: OutputMode;
  command?: string;
  sessionIdSent?: string | undefined;
}

/** A hand-made `CliRunOutput` (defaults: `claude`, `json`, exit 0, no session sent). */
export function syntheticRun(options: SyntheticRunOptions = {}): CliRunOutput {
  const sessionIdSent = 'sessionIdSent' in options ? options.sessionIdSent : undefined;
  return {
    plan: {
      command: options.command ?? 'claude',
      argv: [],
      cwd: '/tmp',
      resume: false,
      sessionIdSent,
      newSession: true,
      parseMode: options.parseMode ?? 'json',
      noOutputTimeoutMs: 0,
      continuation: 'new' as const,
      historyTurns: 0,
      stdinChars: 0,
    },
    stdout: options.stdout ?? '',
    stderr: options.stderr ?? '',
    exitCode: 'exitCode' in options ? options.exitCode : 0,
    signal: options.signal,
    durationMs: 1,
  };
}
