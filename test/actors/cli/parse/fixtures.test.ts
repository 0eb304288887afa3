/**
 * Every real CLI fixture (claude, codex, gemini) through `parseCliRun`: successes give the stub's
 * reply and the session id, failures the reason of `suggested_class` (mapped to FailureReason),
 * killed runs never succeed.
 */
import { describe, expect, it } from 'vitest';
import { parseCliRun } from '../../../../src/actors/cli/parse/index.js';
import {
  JUDGED_DIFFERENTLY,
  expectedOutcome,
  fixtureBackend,
  fixtureId,
  fixtureRun,
  loadFixtureRows,
  type FixtureRow,
} from '../../../support/fixtures.js';

const rows = loadFixtureRows();
const byCli = (cli: FixtureRow['cli']): FixtureRow[] => rows.filter((row) => row.cli === cli);

function check(row: FixtureRow): void {
  const expected = expectedOutcome(row);
  const result = parseCliRun(fixtureRun(row), fixtureBackend(row.cli));
  switch (expected.kind) {
    case 'info':
      return;
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
      // Decided by the orchestrator's deadline; what the CLI printed may still name the cause.
      expect([expected.reason, 'unknown']).toContain(result.failure.reason);
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
    expect(total('claude')).toBe(byCli('claude').length);
    expect(total('codex')).toBe(byCli('codex').length);
  });

  it('the fixtures judged differently from suggested_class still exist and are failures', () => {
    for (const id of Object.keys(JUDGED_DIFFERENTLY)) {
      const row = rows.find((r) => fixtureId(r) === id);
      expect(row, id).toBeDefined();
      if (row !== undefined) expect(expectedOutcome(row).kind).toBe('failure');
    }
  });
});
