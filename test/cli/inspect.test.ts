/**
 * `safetynet agent --inspect`: JSONL of the live inspection events to a file (offline), and the
 * loopback WebSocket relay for the Stately inspector, received here by `@statelyai/inspect`'s own
 * WebSocket receiver (no browser). Without `--inspect` nothing of the inspector is loaded.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { parseInspectFlag } from '../../src/cli/inspect.js';
import { cleanup, configWith, fakeBackend, fakeSandbox, REPO, safetynet, sandbox, startSafetynet, writeConfig } from './support.js';

afterEach(cleanup);

describe('--inspect values', () => {
  it('nothing or a port is the WebSocket relay, file:<path> a JSONL file; anything else is bad usage', () => {
    expect(parseInspectFlag(true)).toEqual({ kind: 'websocket', port: 0 });
    expect(parseInspectFlag('9400')).toEqual({ kind: 'websocket', port: 9400 });
    expect(parseInspectFlag('file:events.jsonl')).toEqual({ kind: 'file', path: path.resolve('events.jsonl') });
    expect(() => parseInspectFlag('file:')).toThrow(/path is missing/);
    expect(() => parseInspectFlag('ws://x')).toThrow(/--inspect: expected nothing, a port/);
    expect(() => parseInspectFlag('70000')).toThrow(/--inspect/);
  });

  it('the agent command never imports the inspector statically (it is loaded only for --inspect)', () => {
    const compiled = readFileSync(path.join(REPO, 'dist/cli/agent.js'), 'utf8');
    expect(compiled).not.toMatch(/^import .*(inspect\.js|@statelyai\/inspect)/m);
    expect(compiled).toContain("import('./inspect.js')");
    expect(readFileSync(path.join(REPO, 'dist/cli/inspect.js'), 'utf8')).not.toMatch(/^import .*@statelyai\/inspect/m);
  });
});

describe('safetynet agent --inspect=file:<path>', () => {
  it('writes one sanitized inspection event per line, with no API key, while stdout stays the reply', async () => {
    const box = await sandbox();
    const apiKey = 'sk-file-mode-secret-0042';
    const config = writeConfig(path.join(box.root, 'config.json5'), {
      models: { providers: { local: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:1/v1', apiKey } } },
      ...(configWith({ fake: fakeBackend(box.fakeState) }, { model: { primary: 'local/m', fallbacks: ['fake/default'] } }) as object),
    });
    const file = path.join(box.root, 'events.jsonl');
    const run = await safetynet(box, ['agent', '--message', 'inspect me', `--inspect=file:${file}`, '--config', config]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^echo: inspect me/);
    const text = readFileSync(file, 'utf8');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(text).not.toContain(apiKey);
    const records = text
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; actorId: string; snapshot?: { value?: unknown; status?: string } });
    expect(new Set(records.map((record) => record.type))).toEqual(
      new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot', '@xstate.microstep', '@xstate.action']),
    );
    const root = records.filter((record) => record.type === '@xstate.snapshot' && record.actorId.startsWith('request-'));
    expect(root.at(-1)!.snapshot).toMatchObject({ value: 'answered', status: 'done' });
    expect(records.some((record) => record.actorId === 'callApi')).toBe(true);
  });

  it('an unwritable path is bad usage (exit 2) before anything runs', async () => {
    const box = await fakeSandbox({ model: 'fake/default' });
    const run = await safetynet(box, [
      'agent',
      '--message',
      'hi',
      `--inspect=file:${path.join(box.root, 'no-such-dir', 'x.jsonl')}`,
      '--config',
      box.config,
    ]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toContain('--inspect=file:');
  });
});

describe('safetynet agent --inspect (WebSocket)', () => {
  it('prints the loopback URL and relays the live actor and snapshot events to a WebSocket receiver', async () => {
    const box = await fakeSandbox({ model: 'fake/default' });
    const child = startSafetynet(box, ['agent', '--message', 'over the wire', '--inspect', '--config', box.config]);
    const url = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      child.stderr!.on('data', (chunk: Buffer) => {
        stderr += chunk.toString();
        const match = /inspector: open (http:\/\/127\.0\.0\.1:\d+) /.exec(stderr);
        if (match) resolve(match[1]!);
      });
      void child.then((result) => reject(new Error(`exited before printing the URL: ${String(result.stderr)}`)));
    });
    const events: StatelyInspectionEvent[] = [];
    const receiver = createWebSocketReceiver({ server: url.replace('http://', 'ws://') });
    const subscription = receiver.subscribe((event) => events.push(event));
    const result = await child;
    const answered = (event: StatelyInspectionEvent) =>
      event.type === '@xstate.snapshot' && (event.snapshot as { value?: unknown }).value === 'answered';
    for (let i = 0; i < 100 && !events.some(answered); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    subscription.unsubscribe();
    expect(result.exitCode, String(result.stderr)).toBe(0);
    expect(String(result.stdout)).toMatch(/^echo: over the wire/);
    const types = new Set(events.map((event) => event.type));
    expect(types.has('@xstate.actor')).toBe(true);
    expect(types.has('@xstate.snapshot')).toBe(true);
    const root = events.find((event) => event.type === '@xstate.actor' && event.name.startsWith('request-'));
    expect(root).toBeDefined();
    const last = events.filter((event) => event.type === '@xstate.snapshot' && event.sessionId === root!.sessionId).at(-1);
    expect(last).toMatchObject({ snapshot: { value: 'answered', status: 'done' } });
    expect(JSON.stringify(last)).toContain('over the wire'); // the live inspector may show the prompt
  });
});
