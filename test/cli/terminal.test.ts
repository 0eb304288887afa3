/**
 * `safetynet agent` in a real pseudo-terminal (`test/support/pty.ts`), asserting what the screen
 * shows: the live status line on stderr (candidate, state, elapsed time, failovers and retry
 * notices as they happen) replaced by the normal output at the end; none of it with `--quiet`,
 * `--json` or a stderr that is not a terminal; no colours with `NO_COLOR`; and the reply streamed
 * onto the screen while the CLI still runs.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bundledInputs, loadedFiles, RECORD_LOADS } from '../support/bundle-loads.js';
import { waitUntilNoProcessWithEnv } from '../support/processes.js';
import { runInPty } from '../support/pty.js';
import { BIN, cleanup, configWith, fakeBackend, sandbox, setModes, trackMarker, writeConfig, type Sandbox } from './support.js';

afterEach(cleanup);

const GATE_CLI = path.join(import.meta.dirname, 'fixtures/gate-cli.mjs');
const RETRYING_CLI = path.join(import.meta.dirname, '../fixtures/bin/retry-then-answer.mjs');
const JSONL_CLI = path.join(import.meta.dirname, '../fixtures/bin/jsonl-stream.mjs');
const LEAKY_CLI = path.join(import.meta.dirname, '../fixtures/bin/leak-stderr.mjs');

/** Spinner frames of the status line (`src/cli/status-view.ts`). */
const SPINNER = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;
const HIDE_CURSOR = '\u001b[?25l';

/** The command's environment: the sandbox's home, a terminal type that can move the cursor, colours unless `noColor`. */
function ptyEnv(box: Sandbox, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, SAFETYNET_HOME: box.home, TERM: 'xterm-256color', ...extra };
  delete env['SAFETYNET_CONFIG'];
  if (extra['NO_COLOR'] === undefined) delete env['NO_COLOR'];
  return env;
}

function agentInPty(
  box: Sandbox,
  args: string[],
  options: { env?: Record<string, string>; shellSuffix?: string; nodeArgs?: string[] } = {},
) {
  return runInPty([process.execPath, ...(options.nodeArgs ?? []), BIN, 'agent', ...args], {
    cwd: box.cwd,
    env: ptyEnv(box, options.env),
    ...(options.shellSuffix === undefined ? {} : { shellSuffix: options.shellSuffix }),
  });
}

/** A sandbox whose only candidate `gate/default` answers once `<root>/gate` exists. */
async function gateSandbox() {
  const box = await sandbox();
  const gate = path.join(box.root, 'gate');
  trackMarker(`GATE_FILE=${gate}`);
  const config = writeConfig(
    path.join(box.root, 'config.json5'),
    configWith(
      { gate: { command: GATE_CLI, output: 'json', sessionMode: 'none', env: { GATE_FILE: gate } } },
      { model: { primary: 'gate/default' } },
    ),
  );
  return { box, gate, config };
}

const hasRow = (rows: string[], pattern: RegExp) => rows.some((row) => pattern.test(row));

describe('safetynet agent on a terminal', () => {
  it('the status line shows the candidate, the machine state and the elapsed time while the CLI runs; the answer takes its place', async () => {
    const { box, gate, config } = await gateSandbox();
    const run = agentInPty(box, ['--message', 'hi', '--config', config]);

    const during = await run.waitForScreen((rows) => hasRow(rows, /gate\/default · spawning-cli/), 'the status line of the running CLI');
    expect(during).toHaveLength(1);
    expect(during[0]).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] gate\/default · spawning-cli · \d+\.\ds$/);
    writeFileSync(gate, '');
    const end = await run.done();

    expect(end.exitCode).toBe(0);
    expect(end.screen).toEqual(['released: hi']);
    expect(end.raw).toContain('\u001b[36m'); // the spinner in colour
    expect(end.raw.lastIndexOf('\u001b[?25h')).toBeGreaterThan(end.raw.lastIndexOf(HIDE_CURSOR)); // the cursor is shown again
  });

  it('Ctrl-C while the status line is drawn: it is erased, the cursor shown again, the CLI killed, exit 130', async () => {
    const { box, gate, config } = await gateSandbox();
    const run = agentInPty(box, ['--message', 'hi', '--config', config]);

    await run.waitForScreen((rows) => hasRow(rows, /gate\/default · spawning-cli/), 'the status line of the running CLI');
    run.type('\u0003');
    const end = await run.done();

    expect(end.exitCode).toBe(130);
    expect(hasRow(end.screen, /spawning-cli/)).toBe(false);
    expect(hasRow(end.screen, /SAFETYNET_ABORTED/)).toBe(true);
    expect(end.raw.lastIndexOf('\u001b[?25h')).toBeGreaterThan(end.raw.lastIndexOf(HIDE_CURSOR));
    expect(await waitUntilNoProcessWithEnv(`GATE_FILE=${gate}`, 100, 50)).toEqual([]);
  });

  it('each failover and each CLI retry notice shows under the status line as it happens; the normal diagnostics replace them at the end', async () => {
    const box = await sandbox();
    const gate = path.join(box.root, 'answer-gate');
    trackMarker(`ANSWER_GATE=${gate}`);
    setModes(box.fakeState, ['auth']);
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith(
        { fake: fakeBackend(box.fakeState), retrying: { command: RETRYING_CLI, output: 'jsonl', env: { ANSWER_GATE: gate } } },
        { model: { primary: 'fake/default', fallbacks: ['retrying/x'] } },
      ),
    );
    const run = agentInPty(box, ['--message', 'hi', '--config', config]);

    const during = await run.waitForScreen((rows) => hasRow(rows, /↻/), 'the retry notice');
    expect(during[0]).toMatch(/^[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] retrying\/x · spawning-cli · \d+\.\ds$/);
    expect(during[1]).toMatch(/^ {2}✗ fake\/default failed \(auth\): .*Invalid API key/);
    expect(during[2]).toMatch(/^ {2}↻ retrying\/x retry: .*HTTP 529/);
    writeFileSync(gate, '');
    const end = await run.done();

    expect(end.exitCode).toBe(0);
    expect(end.screen[0]).toBe('answered after a retry');
    expect(end.screen.slice(1).every((row) => row.startsWith('safetynet: '))).toBe(true);
    expect(hasRow(end.screen, /^safetynet: fake\/default failed \(auth\)/)).toBe(true);
    expect(end.screen.at(-1)).toBe('safetynet: answered by retrying/x');
    expect(hasRow(end.screen, /[✗↻]|spawning-cli/)).toBe(false);
  });

  it('no secret reaches the screen through the status line: a failover detail quoting keys is redacted', async () => {
    const box = await sandbox();
    const secrets = { env: 'sk-env-openai-5e4d3c2b', backend: 'cfg-backend-token-77bb21' };
    const leaky = {
      command: LEAKY_CLI,
      output: 'text',
      env: { LEAK_VARS: 'OPENAI_API_KEY,BACKEND_TOKEN', BACKEND_TOKEN: secrets.backend },
    };
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ leaky, fake: fakeBackend(box.fakeState) }, { model: { primary: 'leaky/default', fallbacks: ['fake/default'] } }),
    );
    const end = await agentInPty(box, ['--message', 'hi', '--config', config], { env: { OPENAI_API_KEY: secrets.env } }).done();

    expect(end.exitCode).toBe(0);
    expect(end.raw).toMatch(/✗.*leaky\/default failed/); // the failover was drawn, with its detail
    expect(end.raw).not.toContain(secrets.env);
    expect(end.raw).not.toContain(secrets.backend);
    expect(end.raw).not.toContain('redis-pass-4f9e1c');
  });

  for (const [name, flags, suffix] of [
    ['--quiet', ['--quiet'], undefined],
    ['--json', ['--json'], undefined],
    ['a stderr that is not a terminal', [], '2>stderr.txt'],
  ] as const) {
    it(`no status line with ${name}`, async () => {
      const { box, gate, config } = await gateSandbox();
      writeFileSync(gate, ''); // answers at once: the status line would have been drawn when it starts
      const end = await agentInPty(
        box,
        ['--message', 'hi', '--config', config, ...flags],
        suffix === undefined ? {} : { shellSuffix: suffix },
      ).done();

      expect(end.exitCode).toBe(0);
      expect(end.raw).not.toContain(HIDE_CURSOR);
      expect(end.raw).not.toMatch(SPINNER);
      expect(end.raw).not.toContain('starting');
      if (name === '--json') expect(JSON.parse(end.screen.join(''))).toMatchObject({ text: 'released: hi' });
      else expect(end.screen).toEqual(['released: hi']);
      if (suffix !== undefined) expect(await readFile(path.join(box.cwd, 'stderr.txt'), 'utf8')).toBe('');
    });
  }

  it('the status line code (log-update) is loaded only when the status line is drawn', async () => {
    const { box, gate, config } = await gateSandbox();
    writeFileSync(gate, '');
    const loads = async (name: string, flags: string[], suffix?: string) => {
      const log = path.join(box.root, `${name}.log`);
      const end = await agentInPty(box, ['--message', 'hi', '--config', config, ...flags], {
        env: { RECORD_LOADS: log },
        nodeArgs: ['--import', RECORD_LOADS],
        ...(suffix === undefined ? {} : { shellSuffix: suffix }),
      }).done();
      expect(end.exitCode).toBe(0);
      return bundledInputs(loadedFiles(log)).join('\n');
    };

    expect(await loads('drawn', [])).toMatch(/node_modules\/log-update\//);
    const notDrawn = [await loads('quiet', ['--quiet']), await loads('piped', [], '2>stderr.txt')];
    for (const inputs of notDrawn) {
      expect(inputs).toMatch(/cli\/agent\.(js|ts)/); // the hook saw the command's modules
      expect(inputs).not.toMatch(/log-update|status-line/);
    }
  });

  it('NO_COLOR: the status line is drawn without colours', async () => {
    const { box, gate, config } = await gateSandbox();
    const run = agentInPty(box, ['--message', 'hi', '--config', config], { env: { NO_COLOR: '1' } });

    await run.waitForScreen((rows) => hasRow(rows, /gate\/default · spawning-cli/), 'the status line of the running CLI');
    writeFileSync(gate, '');
    const end = await run.done();

    expect(end.exitCode).toBe(0);
    expect(end.raw).toMatch(SPINNER);
    expect(end.raw).not.toMatch(/\u001b\[[\d;]*m/);
    expect(end.screen).toEqual(['released: hi']);
  });

  it('the reply streams onto the screen by default: its first part shows while the CLI still runs, and replaces the status line', async () => {
    const box = await sandbox();
    const gate = path.join(box.root, 'stream-gate');
    trackMarker(`STREAM_GATE=${gate}`);
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith(
        { jsonl: { command: JSONL_CLI, output: 'jsonl', sessionMode: 'none', env: { STREAM_GATE: gate } } },
        { model: { primary: 'jsonl/default' } },
      ),
    );
    const run = agentInPty(box, ['--message', 'hi', '--config', config]);

    const during = await run.waitForScreen((rows) => hasRow(rows, /first part/), 'the first part of the reply');
    expect(during).toEqual(['first part']);
    writeFileSync(gate, '');
    const end = await run.done();

    expect(end.exitCode).toBe(0);
    expect(end.screen).toEqual(['first part', '', 'second part']);
  });
});
