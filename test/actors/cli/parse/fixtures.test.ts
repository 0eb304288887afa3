/**
 * Every real CLI fixture (claude, codex, gemini) through `parseCliRun`: successes give the stub's
 * reply and the session id, failures the reason of `suggested_class` (mapped to FailureReason),
 * killed runs never succeed and give the reason their output names, or `unknown` for the listed runs
 * whose output names nothing. The `info` rows (`--version`, `--help`) are not parse cases: they pin
 * the captured versions and the flags the built-in backends pass.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCliRun } from '../../../../src/actors/cli/parse/index.js';
import {
  CLAUDE_CLI_BACKEND,
  CLAUDE_SPEC_JSON_ARGS,
  CLAUDE_TEXT_ARGS,
  CODEX_CLI_BACKEND,
  GEMINI_CLI_BACKEND,
} from '../../../../src/config/builtins.js';
import {
  JUDGED_DIFFERENTLY,
  expectedOutcome,
  fixtureBackend,
  fixtureId,
  fixtureRun,
  FIXTURES_DIR,
  loadFixtureMeta,
  loadFixtureRows,
  readFixtureFile,
  type FixtureRow,
} from '../../../support/fixtures.js';

const rows = loadFixtureRows();
const isInfo = (row: FixtureRow): boolean => expectedOutcome(row).kind === 'info';
const byCli = (cli: FixtureRow['cli']): FixtureRow[] => rows.filter((row) => row.cli === cli && !isInfo(row));

/**
 * Killed or never-spawned runs whose output names no cause, so the parser can only say `unknown`
 * (the runner's deadline or spawn error decides the reason). Every other killed run must give
 * exactly the reason of its `suggested_class`.
 */
const KILLED_SILENT: Readonly<Record<string, string>> = {
  'claude/connection-refused-default': 'killed while retrying; --output-format json prints only at the end: stdout and stderr empty',
  'claude/hang': 'killed while waiting; stdout and stderr empty',
  'claude/http-401': 'killed while retrying; stdout and stderr empty',
  'claude/http-429': 'killed while retrying; stdout and stderr empty',
  'claude/http-500': 'killed while retrying; stdout and stderr empty',
  'claude/http-503': 'killed while retrying; stdout and stderr empty',
  'claude/http-529': 'killed while retrying; stdout and stderr empty',
  'claude/stall-after-message-start': 'killed while waiting; stdout and stderr empty',
  'claude/long-prompt-argv': 'spawn failed with E2BIG: no process, no output',
  'codex/long-prompt-argv': 'spawn failed with E2BIG: no process, no output',
  'codex/hang': 'killed after turn.started; stderr holds only the PATH-alias warning and "Reading additional input"',
  'codex/hang-idle-timeout-5s': 'as codex/hang: nothing printed about the idle timeout before the kill',
  'codex/stall-after-created': 'as codex/hang: nothing printed about the stall before the kill',
  'codex/stdin-open-pipe': 'hang on an open stdin (no reason in suggested_class); nothing printed but the start events',
  'gemini/hang': 'killed while waiting; gemini exits 0 on SIGTERM, stdout empty, stderr only startup warnings',
};

function check(row: FixtureRow): void {
  const expected = expectedOutcome(row);
  const result = parseCliRun(fixtureRun(row), fixtureBackend(row.cli));
  switch (expected.kind) {
    case 'info':
      throw new Error(`${fixtureId(row)}: info rows are not parse cases`);
    case 'success':
      expect(result, fixtureId(row)).toMatchObject({ ok: true });
      if (!result.ok) return;
      if (expected.text !== undefined) expect(result.turn.text).toBe(expected.text);
      expect(result.turn.text).not.toBe('');
      expect(result.turn.sessionId).toBe(expected.sessionId);
      return;
    case 'failure':
      expect(result.ok, fixtureId(row)).toBe(false);
      if (result.ok) return;
      expect(result.failure.reason, `${fixtureId(row)}: ${result.failure.message}`).toBe(expected.reason);
      expect(result.failure.message.length).toBeGreaterThan(0);
      return;
    case 'not-success':
      expect(result.ok, fixtureId(row)).toBe(false);
      if (result.ok) return;
      // Decided by the runner's deadline; where the CLI printed the cause, the parser names it.
      expect(result.failure.reason, fixtureId(row)).toBe(fixtureId(row) in KILLED_SILENT ? 'unknown' : expected.reason);
      return;
  }
}

describe.each(['claude', 'codex', 'gemini'] as const)('real %s fixtures', (cli) => {
  it.each(byCli(cli).map((row) => [row.case, row.suggested_class, row] as const))('%s (%s)', (_name, _suggested, row) => {
    check(row);
  });
});

describe('fixture coverage', () => {
  it('every claude and codex fixture row is covered by an expectation', () => {
    const summary: Record<string, Record<string, number>> = {};
    for (const row of rows.filter((r) => r.cli === 'claude' || r.cli === 'codex')) {
      const kind = expectedOutcome(row).kind;
      summary[row.cli] ??= {};
      const counts = summary[row.cli] ?? {};
      counts[kind] = (counts[kind] ?? 0) + 1;
    }
    expect(summary).toEqual({
      claude: { failure: 29, info: 2, 'not-success': 9, success: 16 },
      codex: { failure: 29, info: 3, 'not-success': 8, success: 23 },
    });
    const total = (cli: string): number => Object.values(summary[cli] ?? {}).reduce((a, b) => a + b, 0);
    expect(total('claude')).toBe(rows.filter((r) => r.cli === 'claude').length);
    expect(total('codex')).toBe(rows.filter((r) => r.cli === 'codex').length);
  });

  it('the 7 info rows are --version and --help captures, not parse cases', () => {
    expect(rows.filter(isInfo).map(fixtureId)).toEqual([
      'claude/help',
      'claude/version',
      'codex/help-exec-resume',
      'codex/help-exec',
      'codex/version',
      'gemini/help',
      'gemini/version',
    ]);
  });

  it('every killed run listed as silent is still a killed run in the fixture set', () => {
    for (const id of Object.keys(KILLED_SILENT)) {
      const row = rows.find((r) => fixtureId(r) === id);
      expect(row, id).toBeDefined();
      if (row !== undefined) expect(expectedOutcome(row).kind, id).toBe('not-success');
    }
  });

  it('the fixtures judged differently from suggested_class still exist and are failures', () => {
    for (const id of Object.keys(JUDGED_DIFFERENTLY)) {
      const row = rows.find((r) => fixtureId(r) === id);
      expect(row, id).toBeDefined();
      if (row !== undefined) expect(expectedOutcome(row).kind).toBe('failure');
    }
  });
});

/** The options (`-x`, `--xyz`) in an argv, up to a `--` separator. */
function flagsOf(argv: readonly (string | undefined)[]): string[] {
  const end = argv.indexOf('--') === -1 ? argv.length : argv.indexOf('--');
  return argv.slice(0, end).filter((arg): arg is string => arg !== undefined && /^--?[a-z][a-z-]*(=.*)?$/.test(arg));
}

/** True when a --help text lists `flag` as an option (`-p, --print`, `  --json`). */
function helpLists(help: string, flag: string): boolean {
  return new RegExp(`(^|[\\s,/])${flag.replace(/[-]/g, '\\-')}(?=[\\s,=<\\[]|$)`, 'm').test(help);
}

describe('info fixtures (--version, --help of the captured CLIs)', () => {
  const capturedWith = (
    JSON.parse(readFileSync(path.join(FIXTURES_DIR, 'index.json'), 'utf8')) as { captured_with: Record<string, string> }
  ).captured_with;
  const stdoutOf = (id: string): string => {
    const row = rows.find((r) => fixtureId(r) === id);
    if (row === undefined) throw new Error(`no fixture ${id}`);
    return readFixtureFile(row.stdout);
  };

  it.each(['claude', 'codex', 'gemini'] as const)('%s --version prints the version the whole fixture set was captured with', (cli) => {
    const version = capturedWith[cli];
    expect(version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(stdoutOf(`${cli}/version`).trim().split(/\s+/)).toContain(version);
  });

  it('claude --help lists every flag the built-in claude-cli passes, in each output mode', () => {
    const help = stdoutOf('claude/help');
    const b = CLAUDE_CLI_BACKEND;
    const flags = flagsOf([
      ...(b.args ?? []),
      ...(b.resumeArgs ?? []),
      ...CLAUDE_SPEC_JSON_ARGS,
      ...CLAUDE_TEXT_ARGS,
      b.modelArg,
      b.sessionArg,
      b.systemPromptArg,
    ]);
    expect(flags.length).toBeGreaterThan(5);
    for (const flag of flags) expect(helpLists(help, flag), flag).toBe(true);
  });

  it('codex exec --help lists every flag the built-in codex-cli passes on a fresh turn', () => {
    const help = stdoutOf('codex/help-exec');
    const b = CODEX_CLI_BACKEND;
    const flags = flagsOf([...(b.args ?? []), b.modelArg, b.imageArg]);
    expect(flags).toEqual(['--json', '--color', '--sandbox', '--skip-git-repo-check', '--model', '--image']);
    for (const flag of flags) expect(helpLists(help, flag), flag).toBe(true);
  });

  it('codex exec resume --help has no --color/--sandbox, so the built-in puts them before "resume"; the flags after it are listed', () => {
    const help = stdoutOf('codex/help-exec-resume');
    expect(helpLists(help, '--color')).toBe(false);
    expect(helpLists(help, '--sandbox')).toBe(false);
    const resumeArgs = CODEX_CLI_BACKEND.resumeArgs ?? [];
    const at = resumeArgs.indexOf('resume');
    expect(at).toBeGreaterThan(resumeArgs.indexOf('--sandbox'));
    expect(at).toBeGreaterThan(resumeArgs.indexOf('--color'));
    // the plan appends modelArg and imageArg after the resume subcommand
    const after = flagsOf([...resumeArgs.slice(at + 1), CODEX_CLI_BACKEND.modelArg, CODEX_CLI_BACKEND.imageArg]);
    expect(after).toEqual(['--model', '--image']);
    for (const flag of after) expect(helpLists(help, flag), flag).toBe(true);
  });

  it('gemini --help lists every flag the built-in gemini-cli passes, fresh and resume', () => {
    const help = stdoutOf('gemini/help');
    const b = GEMINI_CLI_BACKEND;
    const flags = [
      ...new Set(flagsOf([...(b.args ?? []), ...(b.resumeArgs ?? []), b.modelArg, b.sessionArg]).map((f) => f.replace(/=.*$/, ''))),
    ];
    expect(flags).toEqual(['--output-format', '--skip-trust', '--prompt', '--resume', '--model', '--session-id']);
    for (const flag of flags) expect(helpLists(help, flag), flag).toBe(true);
  });

  it('gemini --help lists every flag the gemini fixture runs were made with', () => {
    const help = stdoutOf('gemini/help');
    const used = new Set(
      rows
        .filter((row) => row.cli === 'gemini' && !isInfo(row))
        .flatMap((row) => flagsOf(loadFixtureMeta(row).argv.slice(1)).map((flag) => flag.replace(/=.*$/, ''))),
    );
    expect([...used].sort()).toEqual(['--model', '--output-format', '--prompt', '--resume', '--session-id', '--skip-trust', '-p']);
    for (const flag of used) expect(helpLists(help, flag), flag).toBe(true);
  });
});
