/**
 * Where `safetynet agent` takes its message from: `--message`, `--message -` and a piped stdin,
 * `--message-file`; a 1 MiB message reaches the fixture CLI over its stdin (no argv limit); a
 * never-written stdin blocks nothing when `--message` is given.
 */
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BIN,
  cleanup,
  configWith,
  fakeBackend,
  lastCall,
  RUN_TIMEOUT_MS,
  safetynet,
  sandbox,
  writeConfig,
  fakeSandbox,
} from './support.js';

afterEach(cleanup);

const agent = (config: string, ...extra: string[]) => ['agent', '--model', 'fake/default', '--config', config, ...extra];

describe('safetynet agent: the message from stdin or a file', () => {
  it('a message piped on stdin without --message is answered, and so is --message - (stdin read as it is)', async () => {
    const box = await fakeSandbox();
    const piped = await safetynet(box, agent(box.config), { input: 'from a pipe\n' });
    expect([piped.exitCode, piped.stdout], piped.stderr).toEqual([0, 'echo: from a pipe turns=1 model=default']);
    expect(lastCall(box.fakeState).prompt).toBe('from a pipe\n');
    const dash = await safetynet(box, agent(box.config, '--message', '-'), { input: 'with a dash' });
    expect([dash.exitCode, dash.stdout], dash.stderr).toEqual([0, 'echo: with a dash turns=1 model=default']);
  });

  it('--message-file reads the message from a file; an unreadable file or both flags are usage errors naming the flag', async () => {
    const box = await fakeSandbox();
    const file = path.join(box.root, 'prompt.md');
    writeFileSync(file, 'from a file');
    const ok = await safetynet(box, agent(box.config, '--message-file', file));
    expect([ok.exitCode, ok.stdout], ok.stderr).toEqual([0, 'echo: from a file turns=1 model=default']);
    const missing = path.join(box.root, 'missing.md');
    const unreadable = await safetynet(box, agent(box.config, '--message-file', missing));
    expect(unreadable.exitCode).toBe(2);
    expect(unreadable.stderr).toContain(`--message-file ${JSON.stringify(missing)}: cannot read it (ENOENT)`);
    const both = await safetynet(box, agent(box.config, '--message', 'hi', '--message-file', file));
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('--message and --message-file were both given');
  });

  it('no message and an empty stdin (/dev/null) is a usage error (exit 2) that says how to pass one; nothing runs', async () => {
    const box = await fakeSandbox();
    const none = await safetynet(box, agent(box.config));
    expect(none.exitCode).toBe(2);
    expect(none.stderr).toContain(
      'no message: stdin was empty — pass --message <text>, --message-file <path>, or pipe the message on stdin',
    );
    const empty = await safetynet(box, agent(box.config), { input: '' });
    expect(empty.exitCode).toBe(2);
    expect(existsSync(path.join(box.fakeState, 'calls.log'))).toBe(false);
  });

  it('with --message given, a stdin that is open but never written to or closed blocks nothing', async () => {
    const box = await fakeSandbox();
    const child = execa(process.execPath, [BIN, ...agent(box.config, '--message', 'hi')], {
      cwd: box.cwd,
      env: { ...process.env, SAFETYNET_HOME: box.home, SAFETYNET_CONFIG: '' },
      stdin: 'pipe', // kept open: the test never writes nor ends it
      reject: false,
      timeout: RUN_TIMEOUT_MS,
    });
    const result = await child;
    expect([result.exitCode, result.timedOut, String(result.stdout)], String(result.stderr)).toEqual([
      0,
      false,
      'echo: hi turns=1 model=default',
    ]);
  });

  it('a 1 MiB message on stdin reaches the CLI over its stdin (no argv limit) and is answered whole', async () => {
    const box = await sandbox();
    const config = writeConfig(
      path.join(box.root, 'config.json5'),
      configWith({ fake: fakeBackend(box.fakeState, { maxPromptArgChars: 32_768 }) }),
    );
    const message = `${'0123456789abcdef'.repeat(65_536)}`; // 1 MiB
    const result = await safetynet(box, agent(config), { input: message });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toBe(`echo: ${message} turns=1 model=default`);
    const call = lastCall(box.fakeState);
    expect(call.prompt).toBe(message);
    expect(call.argv.every((arg) => arg.length < 1000)).toBe(true);
  });
});
