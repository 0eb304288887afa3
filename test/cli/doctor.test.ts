/**
 * `safetynet doctor` as a user runs it: one line per check, each problem with its fix, and the exit
 * code (0 only when every candidate can run).
 */
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { DoctorReport } from '../../src/doctor/types.js';
import { holdLock, cleanup as cleanupStore } from '../store/support.js';
import { cleanup, configWith, fakeBackend, REPO, safetynet, sandbox, writeConfig } from './support.js';

afterEach(async () => {
  await cleanupStore();
  await cleanup();
});

const ROOT_FAKE = path.join(REPO, 'test/fixtures/bin/root-refusing-cli.mjs');

describe('safetynet doctor', () => {
  it('exit 0 when every candidate can run (a missing --version is only a warning)', async () => {
    const box = await sandbox();
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ fake: fakeBackend(box.fakeState) }, { model: 'fake/default' }),
    );
    const run = await safetynet(box, ['doctor', '--config', config]);
    expect(run.exitCode, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`state: ${path.join(box.home, 'state')}`);
    expect(run.stdout).toMatch(/\n {2}ok {4}store +.* is writable and not locked\n/);
    expect(run.stdout).toMatch(/\nevery candidate can run \(0 problems, 1 warning\)$/);
  });

  it('a missing command and a root-refusing CLI: exit 1, each problem on one line with its fix', async () => {
    const box = await sandbox();
    // clearEnv: an IS_SANDBOX inherited from the test's own environment must not lift the refusal
    const refusing = { command: ROOT_FAKE, args: ['-p', '--dangerously-skip-permissions'], output: 'json', clearEnv: ['IS_SANDBOX'] };
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ gone: { command: 'safetynet-no-such-cli' }, refusing }, { model: { primary: 'gone/m', fallbacks: ['refusing/m'] } }),
    );
    const run = await safetynet(box, ['doctor', '--config', config]);
    expect(run.exitCode).toBe(1);
    const fails = run.stdout.split('\n').filter((line) => line.startsWith('  FAIL'));
    expect(fails[0]).toBe(
      '  FAIL  command   command "safetynet-no-such-cli" not found: it is not on the PATH of its environment — fix: install it, or set agents.defaults.cliBackends.gone.command to its full path',
    );
    // The real process runs as whoever runs the tests (CI: root), so the branch that applies is checked
    // here; both branches, with the uid injected, are proven in test/doctor/doctor.test.ts.
    if (process.getuid?.() === 0) {
      expect(fails[1]).toMatch(
        /^ {2}FAIL {2}root +running as root with --dangerously-skip-permissions and no IS_SANDBOX: .*refuses to run \("--dangerously-skip-permissions cannot be used with root\/sudo privileges for security reasons"\) — fix: set agents\.defaults\.cliBackends\.refusing\.env\.IS_SANDBOX = "1"/,
      );
      expect(fails).toHaveLength(2);
    } else {
      expect(run.stdout).toMatch(/\n {2}ok {4}root +not running as root: --dangerously-skip-permissions is accepted\n/);
      expect(fails).toHaveLength(1);
    }
    expect(run.stdout).toMatch(/not every candidate can run/);

    const json = await safetynet(box, ['doctor', '--json', '--config', config]);
    expect(json.exitCode).toBe(1);
    const report = JSON.parse(json.stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    expect(report.candidates).toEqual(['gone/m', 'refusing/m']);
    expect(report.checks.find((check) => check.candidate === 'gone/m')).toMatchObject({ check: 'command', ok: false, level: 'error' });
  });

  it('a state folder locked by another process fails the check (the store is tried once, not waited for)', async () => {
    const box = await sandbox();
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ fake: fakeBackend(box.fakeState) }, { model: 'fake/default' }),
    );
    const holder = await holdLock(path.join(box.home, 'state'));
    const run = await safetynet(box, ['doctor', '--config', config]);
    expect(run.exitCode).toBe(1);
    expect(run.stdout).toContain(
      `  FAIL  store     ${path.join(box.home, 'state')} is locked by another process — fix: wait for the other safetynet process to finish (or stop it), or point SAFETYNET_HOME elsewhere`,
    );
    await holder.release();
  });

  it('a bad config is exit 2', async () => {
    const box = await sandbox();
    const config = writeConfig(path.join(box.root, 'config.json5'), '{ agents: ');
    const run = await safetynet(box, ['doctor', '--config', config]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('SAFETYNET_CONFIG_SYNTAX');
  });

  it('doctor reports every typo of agents.defaults, its model and the near-misses at once (exit 2)', async () => {
    const box = await sandbox();
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      JSON.stringify({
        agent: {},
        agents: { default: {}, defaults: { timeoutSecond: 30, model: { primray: 'claude-cli/opus-4.6', fallback: [] } } },
      }),
    );
    const run = await safetynet(box, ['doctor', '--config', config]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('SAFETYNET_CONFIG_INVALID');
    expect(run.stderr).toContain('(5 problems)');
    for (const [key, suggestion] of [
      ['agent', 'agents'],
      ['agents.default', 'defaults'],
      ['agents.defaults.timeoutSecond', 'timeoutSeconds'],
      ['agents.defaults.model.primray', 'primary'],
      ['agents.defaults.model.fallback', 'fallbacks'],
    ] as const) {
      expect(run.stderr).toMatch(new RegExp(`- ${key.replaceAll('.', '\\.')}: .*did you mean "${suggestion}"\\?`));
    }
  });
});
