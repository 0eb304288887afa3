/**
 * Conversations through the real runtime (`createRuntime` → `run`): the transcript of a session key,
 * how each CLI attempt continues it (resume, catch-up, reseed, new), the transcript bounds and
 * `run({ messages })`. The fixture CLI (`test/fixtures/bin/fake-cli.mjs`, which records every call)
 * as CLI backends, a loopback Anthropic stub as the API provider, a real LevelDB in a temp folder.
 * Rules: `docs/conversations.md`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRuntime, type RequestError, type Runtime } from '../../src/index.js';
import type { SafetynetConfigFile } from '../../src/config/types.js';
import { fakeCliBackend } from '../contract/harnesses.js';
import { livePidsWithEnv, waitUntilNoProcessWithEnv } from '../support/processes.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';

type Defaults = NonNullable<NonNullable<SafetynetConfigFile['agents']>['defaults']>;
type Cli = Awaited<ReturnType<typeof fakeCliBackend>>;

const API = 'stub/claude-test';
const PIXEL_PNG = join(import.meta.dirname, '../fixtures/pixel.png');
const RESEED_INTRO = 'This is our conversation so far (earlier replies may come from other assistants).';
const CATCH_UP_INTRO = 'These turns of our conversation were answered elsewhere since your last reply.';

describe('conversations through the runtime', () => {
  let dir: string;
  let runtime: Runtime | undefined;
  let stub: StubServer | undefined;
  const markers: string[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'safetynet-conversation-'));
  });
  afterEach(async () => {
    for (const marker of markers.splice(0)) {
      for (const pid of await livePidsWithEnv(marker)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }
    await runtime?.close();
    runtime = undefined;
    await stub?.close();
    stub = undefined;
    await rm(dir, { recursive: true, force: true });
  });

  async function cli(name = 'cli'): Promise<Cli> {
    const harness = await fakeCliBackend(join(dir, name));
    markers.push(harness.envMarker);
    return harness;
  }

  /** A runtime whose primary is `primary` (no fallbacks); `run({ model: API })` asks the stub. */
  async function start(clis: Cli[], options: { sessions?: Record<string, number>; api?: boolean } = {}): Promise<Runtime> {
    const defaults: Defaults = {
      model: { primary: clis[0]!.model },
      cliBackends: Object.fromEntries(clis.map((c) => [c.backendId, c.backend])),
    };
    const extra: Partial<SafetynetConfigFile> = {};
    if (options.api) {
      stub = await startStubServer({ modes: ['echo'] });
      extra.models = { providers: { stub: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' } } } as never;
    }
    if (options.sessions) extra.safetynet = { sessions: options.sessions };
    runtime = await createRuntime({ config: { agents: { defaults }, ...extra } as never, storeLocation: join(dir, 'state') });
    return runtime;
  }

  /** Every prompt the fixture CLI in `<dir>/<name>` received, in order. */
  function calls(name: string): string[] {
    const file = join(dir, name, 'calls.log');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as string);
  }

  function lastArgv(name: string): string[] {
    return (JSON.parse(readFileSync(join(dir, name, 'last-call.json'), 'utf8')) as { argv: string[] }).argv;
  }

  function flag(argv: readonly string[], name: string): string | undefined {
    const at = argv.indexOf(name);
    return at === -1 ? undefined : argv[at + 1];
  }

  /** Poll (bounded) until the hanging fixture CLI and its grandchild both run. */
  async function hanging(c: Cli): Promise<number[]> {
    for (let i = 0; i < 200; i++) {
      const pids = await livePidsWithEnv(c.envMarker);
      if (pids.length >= 2) return pids;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error('the fixture CLI never started hanging');
  }

  async function stored(rt: Runtime, key: string) {
    return { transcript: await rt.sessions.transcript(key), bindings: await rt.sessions.list(key) };
  }

  it('the transcript holds both turns of each answered exchange, with the model and backend that answered', async () => {
    const c = await cli();
    const rt = await start([c], { api: true });
    const first = await rt.run({ message: 'one', sessionKey: 'k', model: API });
    const second = await rt.run({ message: 'two', sessionKey: 'k' });
    const { turns, dropped } = await rt.sessions.transcript('k');
    expect(dropped).toBe(0);
    expect(turns).toEqual([
      expect.objectContaining({ seq: 1, role: 'user', text: 'one', requestId: first.requestId }),
      expect.objectContaining({ seq: 2, role: 'assistant', text: first.text, model: API, backend: 'api', requestId: first.requestId }),
      expect.objectContaining({ seq: 3, role: 'user', text: 'two', requestId: second.requestId }),
      expect.objectContaining({
        seq: 4,
        role: 'assistant',
        text: second.text,
        model: c.model,
        backend: 'cli',
        requestId: second.requestId,
      }),
    ]);
    expect(turns.every((turn) => turn.at > 0 && /^[0-9a-f]{32}$/.test(turn.digest))).toBe(true);
    expect(new Set(turns.map((turn) => turn.digest)).size).toBe(4);
  });

  it('a failed (every candidate failed), aborted or killed turn changes neither the transcript nor the binding', async () => {
    const c = await cli();
    const rt = await start([c]);
    const first = await rt.run({ message: 'one', sessionKey: 'k' });
    const before = await stored(rt, 'k');
    expect(before.transcript.turns).toHaveLength(2);
    expect(before.bindings.map((b) => b.cliSessionId)).toEqual([first.cliSessionId]);

    c.setMode('auth');
    const failed = (await rt.run({ message: 'failed', sessionKey: 'k' }).catch((error: unknown) => error)) as RequestError;
    expect(failed.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(await stored(rt, 'k')).toEqual(before);

    c.setMode('hang');
    const controller = new AbortController();
    const aborted = rt.run({ message: 'aborted', sessionKey: 'k', signal: controller.signal }).catch((error: unknown) => error);
    await hanging(c);
    controller.abort();
    expect(((await aborted) as RequestError).code).toBe('SAFETYNET_ABORTED');
    expect(await stored(rt, 'k')).toEqual(before);
    await waitUntilNoProcessWithEnv(c.envMarker, 40, 50);

    // the CLI killed by someone else mid-turn (SIGKILL, no output)
    const killed = rt.run({ message: 'killed', sessionKey: 'k' }).catch((error: unknown) => error);
    for (const pid of await hanging(c)) process.kill(pid, 'SIGKILL');
    const killedError = (await killed) as RequestError;
    expect(killedError.code).toBe('SAFETYNET_ALL_CANDIDATES_FAILED');
    expect(killedError.attempts).toEqual([expect.objectContaining({ model: c.model, ok: false, continuation: 'resume' })]);
    expect(await stored(rt, 'k')).toEqual(before);

    // and the next turn resumes the stored session, having seen only the answered exchange
    c.setMode('ok');
    const next = await rt.run({ message: 'next', sessionKey: 'k' });
    expect(next.cliSessionId).toBe(first.cliSessionId);
    expect(next.text).toMatch(/^echo: next turns=2/);
    expect(next.attempts).toEqual([expect.objectContaining({ ok: true, continuation: 'resume', historyTurns: 0 })]);
    expect((await rt.sessions.transcript('k')).turns.map((turn) => turn.seq)).toEqual([1, 2, 3, 4]);
  });

  it('a session that has seen every turn is resumed with the message only', async () => {
    const c = await cli();
    const rt = await start([c]);
    const first = await rt.run({ message: 'one', sessionKey: 'k' });
    const second = await rt.run({ message: 'two', sessionKey: 'k' });
    expect(calls('cli')).toEqual(['one', 'two']);
    expect(flag(lastArgv('cli'), '--resume')).toBe(first.cliSessionId);
    expect(second.attempts).toEqual([expect.objectContaining({ continuation: 'resume', historyTurns: 0 })]);
    expect(first.attempts).toEqual([expect.objectContaining({ continuation: 'new', historyTurns: 0 })]);
  });

  it('after an API answered a turn, the CLI is caught up with only the turns it missed, and the message comes last', async () => {
    const c = await cli();
    const rt = await start([c], { api: true });
    const one = await rt.run({ message: 'one', sessionKey: 'k' });
    const two = await rt.run({ message: 'two', sessionKey: 'k', model: API });
    // the API got the whole conversation as native messages
    expect(stub!.modelRequests().at(-1)?.body?.messages).toEqual([
      { role: 'user', text: 'one' },
      { role: 'assistant', text: one.text },
      { role: 'user', text: 'two' },
    ]);

    const three = await rt.run({ message: 'three', sessionKey: 'k' });
    expect(flag(lastArgv('cli'), '--resume')).toBe(one.cliSessionId);
    const prompt = calls('cli').at(-1)!;
    expect(prompt).toBe(
      [
        `${CATCH_UP_INTRO} Read them for context, then reply to the message after the block.`,
        '<conversation-history kind="catch-up" turns="2" omitted="0">',
        '<turn seq="3" role="user">',
        'two',
        '</turn>',
        `<turn seq="4" role="assistant" model="${API}">`,
        two.text,
        '</turn>',
        '</conversation-history>',
        '',
        'three',
      ].join('\n'),
    );
    expect(three.attempts).toEqual([expect.objectContaining({ ok: true, continuation: 'catch-up', historyTurns: 2 })]);
    // caught up: the turn after it is a plain resume again
    const four = await rt.run({ message: 'four', sessionKey: 'k' });
    expect(calls('cli').at(-1)).toBe('four');
    expect(four.attempts).toEqual([expect.objectContaining({ continuation: 'resume' })]);
    expect((await rt.sessions.transcript('k')).turns).toHaveLength(8);
  });

  it('a binding whose working directory was removed is reseeded: a new session with the whole history', async () => {
    const c = await cli();
    const rt = await start([c]);
    const [gone, other] = [join(dir, 'gone'), join(dir, 'other')];
    await Promise.all([mkdir(gone), mkdir(other)]);
    const first = await rt.run({ message: 'one', sessionKey: 'k', cwd: gone });
    await rm(gone, { recursive: true });
    const second = await rt.run({ message: 'two', sessionKey: 'k', cwd: other });
    const argv = lastArgv('cli');
    expect(argv).not.toContain('--resume');
    expect(flag(argv, '--session-id')).not.toBe(first.cliSessionId);
    const prompt = calls('cli').at(-1)!;
    expect(prompt.startsWith(`${RESEED_INTRO} `)).toBe(true);
    expect(prompt).toContain('<conversation-history kind="reseed" turns="2" omitted="0">\n<turn seq="1" role="user">\none\n</turn>');
    expect(prompt).toContain(`<turn seq="2" role="assistant" model="${c.model}">\n${first.text}\n</turn>`);
    expect(prompt.endsWith('</conversation-history>\n\ntwo')).toBe(true);
    expect(second.attempts).toEqual([expect.objectContaining({ ok: true, continuation: 'reseed', historyTurns: 2 })]);
    expect((await rt.sessions.list('k')).map((b) => [b.cliSessionId, b.cwd])).toEqual([[second.cliSessionId, other]]);
  });

  it('maxTurns bounds the transcript (the dropped turns counted), and a reseed block says how many were left out', async () => {
    const [a, b] = [await cli('a'), await cli('b')];
    const rt = await start([a, b], { sessions: { maxTurns: 2 } });
    await rt.run({ message: 'one', sessionKey: 'k' });
    const two = await rt.run({ message: 'two', sessionKey: 'k' });
    const kept = await rt.sessions.transcript('k');
    expect(kept.dropped).toBe(2);
    expect(kept.turns.map((turn) => [turn.seq, turn.text])).toEqual([
      [3, 'two'],
      [4, two.text],
    ]);

    const three = await rt.run({ message: 'three', sessionKey: 'k', model: b.model });
    const prompt = calls('b').at(-1)!;
    expect(prompt).toContain('<conversation-history kind="reseed" turns="2" omitted="2">\n[2 earlier turns are left out]\n<turn seq="3"');
    expect(prompt).not.toContain('one');
    expect(prompt.endsWith('\n\nthree')).toBe(true);
    expect(three.attempts).toEqual([expect.objectContaining({ continuation: 'reseed', historyTurns: 2 })]);

    // backend a saw up to turn 4, which the bounds dropped since: it is reseeded, not resumed
    const four = await rt.run({ message: 'four', sessionKey: 'k', model: a.model });
    expect(lastArgv('a')).not.toContain('--resume');
    expect(calls('a').at(-1)).toContain('<conversation-history kind="reseed" turns="2" omitted="4">');
    expect(four.attempts).toEqual([expect.objectContaining({ continuation: 'reseed', historyTurns: 2 })]);
    expect((await rt.sessions.transcript('k')).dropped).toBe(6);
  });

  it('maxChars bounds the transcript by characters, oldest turns first', async () => {
    const c = await cli();
    const rt = await start([c], { sessions: { maxChars: 1000 } });
    const [m1, m2] = ['a'.repeat(300), 'b'.repeat(300)];
    const first = await rt.run({ message: m1, sessionKey: 'k' });
    const second = await rt.run({ message: m2, sessionKey: 'k' });
    // 300 + 328 + 300 + 328 characters: only the oldest turn has to go to fit 1000
    expect([first.text.length, second.text.length]).toEqual([328, 328]);
    const { turns, dropped } = await rt.sessions.transcript('k');
    expect(dropped).toBe(1);
    expect(turns.map((turn) => turn.seq)).toEqual([2, 3, 4]);
  });

  it('historyChars bounds the history block: the newest turns that fit, the rest counted as left out', async () => {
    const c = await cli();
    const rt = await start([c], { sessions: { historyChars: 100 } });
    const history = ['1', '2', '3', '4'].map((n, i) => ({ role: i % 2 === 0 ? 'user' : 'assistant', content: n.repeat(40) }) as const);
    const result = await rt.run({ messages: [...history, { role: 'user', content: 'now' }] });
    const prompt = calls('cli').at(-1)!;
    expect(prompt).toContain('<conversation-history kind="reseed" turns="2" omitted="2">\n[2 earlier turns are left out]\n<turn seq="3"');
    expect(prompt).toContain('3'.repeat(40));
    expect(prompt).toContain('4'.repeat(40));
    expect(prompt).not.toContain('2'.repeat(40));
    expect(prompt.endsWith('</conversation-history>\n\nnow')).toBe(true);
    expect(result.attempts).toEqual([expect.objectContaining({ continuation: 'reseed', historyTurns: 2 })]);
  });

  describe('run({ messages })', () => {
    const pixel = `data:image/png;base64,${readFileSync(PIXEL_PNG).toString('base64')}`;
    const messages = [
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'remember kiwi' },
      { role: 'assistant', content: [{ type: 'text', text: 'kiwi noted' }] },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what fruit?' },
          { type: 'image_url', image_url: { url: pixel } },
        ],
      },
    ] as const;

    it('without a key: the CLI prompt carries a reseed block built from the messages, system messages join the system prompt, the last image is staged', async () => {
      const c = await cli();
      const rt = await start([c]);
      const result = await rt.run({ messages: structuredClone(messages) as never, systemPrompt: 'outer' });
      const call = JSON.parse(readFileSync(join(dir, 'cli', 'last-call.json'), 'utf8')) as {
        prompt: string;
        system: string;
        images: number;
      };
      expect(call.system).toBe('outer\n\nbe brief');
      expect(call.images).toBe(1);
      expect(call.prompt).toBe(
        [
          `${RESEED_INTRO} Read it for context, then reply to the message after the block.`,
          '<conversation-history kind="reseed" turns="2" omitted="0">',
          '<turn seq="1" role="user">',
          'remember kiwi',
          '</turn>',
          '<turn seq="2" role="assistant">',
          'kiwi noted',
          '</turn>',
          '</conversation-history>',
          '',
          'what fruit?',
        ].join('\n'),
      );
      expect(result).toMatchObject({ sessionKey: null, backend: 'cli' });
      expect(result.attempts).toEqual([expect.objectContaining({ continuation: 'reseed', historyTurns: 2 })]);
      // one-shot: nothing stored
      expect(await rt.sessions.list()).toEqual([]);
      expect(await rt.sessions.conversations()).toEqual([]);
    });

    it('without a key: the API stub receives them as native messages, the system prompt apart, the image included', async () => {
      const c = await cli();
      const rt = await start([c], { api: true });
      const result = await rt.run({ messages: structuredClone(messages) as never, model: API });
      expect(result).toMatchObject({ backend: 'api', model: API });
      const body = stub!.modelRequests().at(-1)!.body!;
      expect(body.messages).toEqual([
        { role: 'user', text: 'remember kiwi' },
        { role: 'assistant', text: 'kiwi noted' },
        { role: 'user', text: 'what fruit?' },
      ]);
      expect(body.system).toEqual(['be brief']);
      expect(body.imageCount).toBe(1);
      expect(result.attempts[0]!.continuation).toBeUndefined();
    });

    it('with a key: messages that continue the stored transcript are appended and the CLI session resumed; messages that differ replace it and reseed', async () => {
      const c = await cli();
      const rt = await start([c]);
      const one = await rt.run({ message: 'one', sessionKey: 'k' });
      const two = await rt.run({
        sessionKey: 'k',
        messages: [
          { role: 'user', content: 'one' },
          { role: 'assistant', content: one.text },
          { role: 'user', content: 'two' },
        ],
      });
      expect(calls('cli').at(-1)).toBe('two');
      expect(two.cliSessionId).toBe(one.cliSessionId);
      expect(two.attempts).toEqual([expect.objectContaining({ continuation: 'resume' })]);
      const appended = await rt.sessions.transcript('k');
      expect(appended.turns.map((turn) => [turn.seq, turn.text, turn.requestId])).toEqual([
        [1, 'one', one.requestId],
        [2, one.text, one.requestId],
        [3, 'two', two.requestId],
        [4, two.text, two.requestId],
      ]);

      const three = await rt.run({
        sessionKey: 'k',
        messages: [
          { role: 'user', content: 'edited' },
          { role: 'assistant', content: 'another answer' },
          { role: 'user', content: 'three' },
        ],
      });
      expect(lastArgv('cli')).not.toContain('--resume');
      expect(three.cliSessionId).not.toBe(one.cliSessionId);
      const prompt = calls('cli').at(-1)!;
      expect(prompt).toContain('<conversation-history kind="reseed" turns="2" omitted="0">\n<turn seq="1" role="user">\nedited\n</turn>');
      expect(prompt.endsWith('\n\nthree')).toBe(true);
      expect(three.attempts).toEqual([expect.objectContaining({ continuation: 'reseed', historyTurns: 2 })]);
      const replaced = await rt.sessions.transcript('k');
      expect(replaced.dropped).toBe(0);
      expect(replaced.turns.map((turn) => [turn.seq, turn.text])).toEqual([
        [1, 'edited'],
        [2, 'another answer'],
        [3, 'three'],
        [4, three.text],
      ]);
      expect((await rt.sessions.list('k')).map((b) => b.cliSessionId)).toEqual([three.cliSessionId]);
    });

    it('bad messages are refused with SAFETYNET_USAGE naming the index and the field, before any CLI runs', async () => {
      const c = await cli();
      const rt = await start([c]);
      const cases: Array<[unknown, RegExp]> = [
        ['hi', /^request\.messages: expected an array of \{ role, content \} messages, received "hi"/],
        [[], /^request\.messages: expected at least one message/],
        [
          [
            { role: 'tool', content: 'x' },
            { role: 'user', content: 'y' },
          ],
          /^request\.messages\[0\]\.role: expected "system", "user" or "assistant", received "tool"/,
        ],
        [
          [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
          ],
          /^request\.messages\[1\]\.role: expected "user" for the last message, received "assistant"/,
        ],
        [
          [
            { role: 'user', content: 'a' },
            { role: 'assistant', content: 'b' },
            { role: 'user', content: 42 },
          ],
          /^request\.messages\[2\]\.content: expected a string or an array of parts/,
        ],
        [[{ role: 'user', content: [{ type: 'text', text: 7 }] }], /^request\.messages\[0\]\.content\[0\]\.text: expected a string/],
      ];
      for (const [bad, message] of cases) {
        await expect(rt.run({ messages: bad as never })).rejects.toMatchObject({
          code: 'SAFETYNET_USAGE',
          message: expect.stringMatching(message),
        });
      }
      await expect(rt.run({ message: 'x', messages: [{ role: 'user', content: 'y' }] })).rejects.toMatchObject({
        code: 'SAFETYNET_USAGE',
        message: 'request: give either message or messages, not both',
      });
      expect(existsSync(join(dir, 'cli', 'last-call.json'))).toBe(false);
    });
  });

  it('RunResult attempts carry the continuation and historyTurns, and so does the stored trace', async () => {
    const [a, b] = [await cli('a'), await cli('b')];
    const rt = await start([a, b]);
    const first = await rt.run({ message: 'one', sessionKey: 'k' });
    const second = await rt.run({ message: 'two', sessionKey: 'k', model: b.model });
    expect(first.attempts).toEqual([expect.objectContaining({ model: a.model, continuation: 'new', historyTurns: 0 })]);
    expect(second.attempts).toEqual([expect.objectContaining({ model: b.model, continuation: 'reseed', historyTurns: 2 })]);
    const [trace] = await rt.traces.find(second.requestId);
    expect(trace!.attempts).toEqual([
      expect.objectContaining({
        model: b.model,
        session: expect.objectContaining({ continuation: 'reseed', historyTurns: 2, newSession: true }),
      }),
    ]);
    const [firstTrace] = await rt.traces.find(first.requestId);
    expect(firstTrace!.attempts[0]!.session).toMatchObject({ continuation: 'new', historyTurns: 0 });
  });
});
