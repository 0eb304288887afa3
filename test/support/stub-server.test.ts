/**
 * Proves the test harness: the loopback stub server speaks the wire formats the REAL `claude`
 * (2.1.197) and `codex` (0.169.0) binaries accept, and the argv forms the built-in CLI backends use
 * (sessions, resume with JSON output, stdin mode, images, dash-prompts) work against it.
 *
 * Every CLI run is its own process group with a hard deadline (runCli), every stub is closed and
 * every temp HOME removed after each test.
 */
import { randomUUID } from 'node:crypto';
import { request } from 'node:http';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CODEX_STUB_MODEL,
  claudeBin,
  claudeStubEnv,
  codexBin,
  codexStubEnv,
  parseJsonl,
  repoRoot,
  runCli,
  tempDirs,
  type RunCliResult,
} from './real-cli.js';
import { startStubServer, type StubServer, type StubServerOptions } from './stub-server.js';

const PIXEL = join(repoRoot, 'test', 'fixtures', 'pixel.png');
const CLAUDE_BASE = ['-p', '--output-format', 'json', '--dangerously-skip-permissions'] as const;
/** Exec-level options; they must come BEFORE `resume` (`exec resume` rejects --color/--sandbox). */
const CODEX_BASE = ['exec', '--json', '--color', 'never', '--sandbox', 'read-only', '--skip-git-repo-check'] as const;

const tmp = tempDirs('safetynet-stub-test-');
const stubs: StubServer[] = [];

afterEach(async () => {
  await Promise.all(stubs.splice(0).map((s) => s.close()));
  await tmp.cleanup();
});

async function stub(options?: StubServerOptions): Promise<StubServer> {
  const s = await startStubServer(options);
  stubs.push(s);
  return s;
}

/** A fresh HOME and a working directory inside it (claude binds sessions to the cwd). */
async function sandbox(): Promise<{ home: string; cwd: string }> {
  const home = await tmp.make();
  const cwd = join(home, 'work');
  await mkdir(cwd);
  return { home, cwd };
}

interface ClaudeResult {
  type: string;
  is_error: boolean;
  api_error_status: number | null;
  result: string;
  session_id: string;
}

function claudeJson(r: RunCliResult): ClaudeResult {
  expect(r.timedOut, r.stderr).toBe(false);
  return JSON.parse(r.stdout) as ClaudeResult;
}

/** thread_id, agent_message texts and the turn.failed message of a Codex `--json` run. */
function codexEvents(r: RunCliResult): { threadId: unknown; messages: string[]; failed: string | undefined; types: unknown[] } {
  expect(r.timedOut, r.stderr).toBe(false);
  const events = parseJsonl(r.stdout);
  const messages: string[] = [];
  let failed: string | undefined;
  for (const e of events) {
    const item = e['item'] as Record<string, unknown> | undefined;
    if (e['type'] === 'item.completed' && item?.['type'] === 'agent_message') messages.push(String(item['text']));
    if (e['type'] === 'turn.failed') failed = String((e['error'] as Record<string, unknown>)['message']);
  }
  const started = events.find((e) => e['type'] === 'thread.started');
  return { threadId: started?.['thread_id'], messages, failed, types: events.map((e) => e['type']) };
}

/** Reads an SSE body and returns its event names (`event:` lines). */
function sseEventNames(body: string): string[] {
  return [...body.matchAll(/^event: (.+)$/gm)].map((m) => m[1] ?? '');
}

function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

describe('stub server (wire formats, no CLI)', () => {
  it('answers the Anthropic, OpenAI Responses and Chat routes, count_tokens, models and 404', async () => {
    const s = await stub({ text: 'Hello there, world!' });
    const msg = { model: 'claude-x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };

    const a = await post(`${s.url}/v1/messages?beta=true`, { ...msg, stream: true });
    expect(a.headers.get('content-type')).toMatch(/text\/event-stream/);
    const aBody = await a.text();
    const names = sseEventNames(aBody);
    expect(names[0]).toBe('message_start');
    expect(names.slice(1, 3)).toEqual(['content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = [...aBody.matchAll(/"text_delta","text":("[^"]*")/g)].map((m) => JSON.parse(m[1] ?? '""') as string);
    expect(deltas.join('')).toBe('Hello there, world!');
    expect(aBody).toContain('"stop_reason":"end_turn"');

    const aJson = (await (await post(`${s.url}/v1/messages`, msg)).json()) as Record<string, unknown>;
    expect(aJson).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello there, world!' }] });

    expect(await (await post(`${s.url}/v1/messages/count_tokens`, msg)).json()).toEqual({ input_tokens: 42 });

    const o = await post(`${s.url}/v1/responses`, { model: 'gpt-x', input: 'hi', stream: true });
    const oNames = sseEventNames(await o.text());
    expect(oNames[0]).toBe('response.created');
    expect(oNames.slice(1, 4)).toEqual(['response.in_progress', 'response.output_item.added', 'response.content_part.added']);
    expect(oNames).toContain('response.output_text.delta');
    expect(oNames.slice(-4)).toEqual([
      'response.output_text.done',
      'response.content_part.done',
      'response.output_item.done',
      'response.completed',
    ]);

    const c = await post(`${s.url}/v1/chat/completions`, { model: 'gpt-x', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const cBody = await c.text();
    expect(cBody.trimEnd().endsWith('data: [DONE]')).toBe(true);
    const cJson = (await (await post(`${s.url}/v1/chat/completions`, { model: 'gpt-x', messages: [] })).json()) as {
      choices: { message: { content: string } }[];
    };
    expect(cJson.choices[0]?.message.content).toBe('Hello there, world!');

    expect(await (await fetch(`${s.url}/v1/models`)).json()).toMatchObject({ object: 'list', data: [] });
    expect((await fetch(`${s.url}/`, { method: 'HEAD' })).status).toBe(404);

    expect(s.requests.map((r) => r.kind)).toEqual([
      'anthropic.messages',
      'anthropic.messages',
      'anthropic.count_tokens',
      'openai.responses',
      'openai.chat',
      'openai.chat',
      'models',
      'not_found',
    ]);
    expect(s.modelRequests()).toHaveLength(5);
    expect(s.requests[0]).toMatchObject({ method: 'POST', url: '/v1/messages?beta=true', path: '/v1/messages', mode: 'ok' });
    expect(s.requests[0]?.body).toMatchObject({ model: 'claude-x', stream: true, roles: ['user'], lastUserText: 'hi', turns: 1 });
  });

  it('applies modes in order (last repeats), error shapes, retry-after, budget, echo and setModes', async () => {
    const s = await stub({ modes: [{ status: 429, retryAfter: 3 }, { status: 529 }, 'ok'], requestBudget: 5 });
    const msg = {
      model: 'm',
      messages: [
        { role: 'user', content: 'one' },
        { role: 'assistant', content: 'x' },
        { role: 'user', content: 'two' },
      ],
    };

    const r1 = await post(`${s.url}/v1/messages`, msg);
    expect(r1.status).toBe(429);
    expect(r1.headers.get('retry-after')).toBe('3');
    expect(await r1.json()).toMatchObject({ type: 'error', error: { type: 'rate_limit_error' } });
    const r2 = await post(`${s.url}/v1/messages`, msg);
    expect([r2.status, ((await r2.json()) as { error: { type: string } }).error.type]).toEqual([529, 'overloaded_error']);
    expect((await post(`${s.url}/v1/messages`, msg)).status).toBe(200);
    expect((await post(`${s.url}/v1/messages`, msg)).status).toBe(200);

    s.setModes([{ status: 401 }, { status: 429, code: 'insufficient_quota' }, 'echo']);
    const o1 = await post(`${s.url}/v1/responses`, { model: 'm', input: 'x' });
    expect([o1.status, await o1.json()]).toEqual([
      401,
      {
        error: {
          message: expect.stringContaining('Incorrect API key') as unknown,
          type: 'invalid_request_error',
          param: null,
          code: 'invalid_api_key',
        },
      },
    ]);
    // Past the budget (5 model calls) everything answers 503.
    const o2 = await post(`${s.url}/v1/responses`, { model: 'm', input: 'x' });
    expect(o2.status).toBe(503);
    expect(s.modelRequests().at(-1)?.mode).toBe('budget:503');

    const s2 = await stub({ modes: (call) => (call.index === 0 ? { status: 429, code: 'insufficient_quota' } : 'echo') });
    const q = await post(`${s2.url}/v1/responses`, { model: 'm', input: 'x' });
    expect(await q.json()).toMatchObject({ error: { type: 'insufficient_quota', code: 'insufficient_quota' } });
    const e = (await (await post(`${s2.url}/v1/messages`, msg)).json()) as { content: { text: string }[] };
    expect(e.content[0]?.text).toBe('echo: two turns=2');
    const echoed = await (await post(`${s2.url}/v1/responses`, { model: 'm', input: 'x' })).text();
    expect(echoed).toContain('echo: x turns=1');
    s2.setModes(['badjson']);
    const b = await post(`${s2.url}/v1/messages`, msg);
    expect(b.status).toBe(200);
    await expect(b.json()).rejects.toThrow();
  });

  it('sseerror, stall and hang behave; close() ends hung sockets; WebSocket upgrades get 426', async () => {
    const s = await stub({ modes: ['sseerror:overloaded_error', 'sseerror:context_length_exceeded', 'stall', 'hang'] });
    const aBody = await (await post(`${s.url}/v1/messages`, { model: 'm', messages: [], stream: true })).text();
    expect(sseEventNames(aBody)).toEqual(['message_start', 'error']);
    expect(aBody).toContain('"overloaded_error"');
    const oBody = await (await post(`${s.url}/v1/responses`, { model: 'm', input: 'x', stream: true })).text();
    expect(sseEventNames(oBody)).toEqual(['response.created', 'response.failed']);
    expect(oBody).toContain('"code":"context_length_exceeded"');

    // stall: headers + first event, then silence.
    const stalled = await post(`${s.url}/v1/messages`, { model: 'm', messages: [], stream: true });
    expect(stalled.status).toBe(200);
    const reader = stalled.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('message_start');

    // hang: no headers at all, until close() destroys the socket.
    const hung = post(`${s.url}/v1/responses`, { model: 'm', input: 'x', stream: true });
    hung.catch(() => undefined);
    while (s.requests.length < 4) await new Promise((r) => setTimeout(r, 10));

    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request(`${s.url}/v1/responses`, { headers: { connection: 'Upgrade', upgrade: 'websocket' } });
      req.on('response', (res) => {
        res.resume();
        resolve(res.statusCode);
      });
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(426);
    expect(s.requests.at(-1)?.kind).toBe('websocket');

    await s.close();
    await expect(hung).rejects.toThrow();
    await expect(reader?.read()).rejects.toThrow();
  });
});

describe('real claude against the stub', () => {
  it('first turn (--session-id, --append-system-prompt) then --resume in the same HOME and cwd resends the history', async () => {
    const s = await stub({ modes: ['echo'] });
    const { home, cwd } = await sandbox();
    const env = claudeStubEnv(s, home);
    const id = randomUUID();

    const first = await runCli(
      claudeBin,
      [...CLAUDE_BASE, '--model', 'opus', '--session-id', id, '--append-system-prompt', 'SYSMARK-7 be terse', '--', 'remember kiwi'],
      { env, cwd, timeoutMs: 20_000 },
    );
    expect(first.exitCode, first.stderr).toBe(0);
    expect(claudeJson(first)).toMatchObject({ type: 'result', is_error: false, result: 'echo: remember kiwi turns=1', session_id: id });
    const req1 = s.modelRequests().at(-1);
    expect(req1?.url).toBe('/v1/messages?beta=true');
    expect(req1?.headers['x-api-key']).toMatch(/^sk-stub/);
    expect(req1?.body?.system?.some((t) => t.includes('SYSMARK-7 be terse'))).toBe(true);

    const second = await runCli(claudeBin, [...CLAUDE_BASE, '--resume', id, '--model', 'opus', '--', 'what fruit?'], {
      env,
      cwd,
      timeoutMs: 20_000,
    });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(claudeJson(second)).toMatchObject({ is_error: false, result: 'echo: what fruit? turns=2', session_id: id });
    const req2 = s.modelRequests().at(-1)?.body;
    expect(req2?.userMessageCount).toBeGreaterThanOrEqual(2);
    expect(req2?.userTexts).toEqual(['remember kiwi', 'what fruit?']);
    expect(req2?.roles).toContain('assistant');

    // stdin mode on a resume: no prompt argv, prompt written to stdin then closed.
    const third = await runCli(claudeBin, [...CLAUDE_BASE, '--resume', id, '--model', 'opus'], {
      env,
      cwd,
      input: 'and the colour?',
      timeoutMs: 20_000,
    });
    expect(claudeJson(third)).toMatchObject({ is_error: false, result: 'echo: and the colour? turns=3', session_id: id });
  });

  it('stdin mode (no prompt argv) and a dash-prompt after -- work on a first turn', async () => {
    const s = await stub({ modes: ['echo'] });
    const { home, cwd } = await sandbox();
    const env = claudeStubEnv(s, home);

    const viaStdin = await runCli(claudeBin, [...CLAUDE_BASE, '--model', 'opus'], {
      env,
      cwd,
      input: 'prompt from stdin',
      timeoutMs: 20_000,
    });
    expect(viaStdin.exitCode, viaStdin.stderr).toBe(0);
    expect(claudeJson(viaStdin)).toMatchObject({ is_error: false, result: 'echo: prompt from stdin turns=1' });

    const dash = await runCli(claudeBin, [...CLAUDE_BASE, '--', '-x marks the spot'], { env, cwd, timeoutMs: 20_000 });
    expect(dash.exitCode, dash.stderr).toBe(0);
    expect(claudeJson(dash).result).toBe('echo: -x marks the spot turns=1');
  });

  it('renders a stub 429 as is_error with api_error_status 429 (CLAUDE_CODE_MAX_RETRIES=1)', async () => {
    const s = await stub({ modes: [{ status: 429 }] });
    const { home, cwd } = await sandbox();
    const r = await runCli(claudeBin, [...CLAUDE_BASE, '--', 'Say hi'], { env: claudeStubEnv(s, home), cwd, timeoutMs: 20_000 });
    expect(r.exitCode).toBe(1);
    const out = claudeJson(r);
    expect(out).toMatchObject({ type: 'result', is_error: true, api_error_status: 429 });
    expect(out.result).toContain('429');
    expect(s.modelRequests().length).toBe(2); // first attempt + 1 retry
  });
});

describe('real codex against the stub', () => {
  it('first turn, then resume in the built-in form (exec options before `resume`, JSONL output, same thread, history resent)', async () => {
    const s = await stub({ modes: ['echo'] });
    const { home, cwd } = await sandbox();
    const env = codexStubEnv(s, home);

    const first = await runCli(codexBin, [...CODEX_BASE, '--model', CODEX_STUB_MODEL, '--', 'remember kiwi'], {
      env,
      cwd,
      timeoutMs: 20_000,
    });
    expect(first.exitCode, first.stderr).toBe(0);
    const e1 = codexEvents(first);
    expect(e1.types[0]).toBe('thread.started');
    expect(e1.types).toContain('turn.completed');
    expect(e1.messages).toEqual(['echo: remember kiwi turns=1']);
    const threadId = String(e1.threadId);
    expect(threadId).toMatch(/^[0-9a-f-]{36}$/);
    const req1 = s.modelRequests().at(-1);
    expect(req1?.path).toBe('/v1/responses');
    expect(req1?.headers['authorization']).toMatch(/^Bearer sk-stub/);
    expect(req1?.body).toMatchObject({ model: CODEX_STUB_MODEL, stream: true, lastUserText: 'remember kiwi' });

    const resume = await runCli(codexBin, [...CODEX_BASE, 'resume', threadId, '--model', CODEX_STUB_MODEL, '--', 'what fruit?'], {
      env,
      cwd,
      timeoutMs: 20_000,
    });
    expect(resume.exitCode, resume.stderr).toBe(0);
    const e2 = codexEvents(resume);
    expect(e2.threadId).toBe(threadId);
    expect(e2.messages).toEqual(['echo: what fruit? turns=2']);
    const req2 = s.modelRequests().at(-1)?.body;
    expect(req2?.inputTexts).toEqual(expect.arrayContaining(['remember kiwi', 'echo: remember kiwi turns=1', 'what fruit?']));

    // stdin mode on a resume: no PROMPT argv, prompt on stdin then closed (also with `--` and `-`).
    const viaStdin = await runCli(codexBin, [...CODEX_BASE, 'resume', threadId, '--model', CODEX_STUB_MODEL], {
      env,
      cwd,
      input: 'resume via stdin',
      timeoutMs: 20_000,
    });
    expect(viaStdin.stderr).toContain('Reading prompt from stdin');
    expect(codexEvents(viaStdin)).toMatchObject({ threadId, messages: ['echo: resume via stdin turns=3'] });
    const viaDash = await runCli(codexBin, [...CODEX_BASE, 'resume', threadId, '--model', CODEX_STUB_MODEL, '--', '-'], {
      env,
      cwd,
      input: 'resume via dash',
      timeoutMs: 20_000,
    });
    expect(codexEvents(viaDash)).toMatchObject({ threadId, messages: ['echo: resume via dash turns=4'] });

    // Image (one --image per file, after `resume <id>`, before `--`) and a prompt starting with `-`.
    const image = await runCli(
      codexBin,
      [...CODEX_BASE, 'resume', threadId, '--model', CODEX_STUB_MODEL, '--image', PIXEL, '--', '-y what is this?'],
      { env, cwd, timeoutMs: 20_000 },
    );
    expect(codexEvents(image)).toMatchObject({ threadId, messages: ['echo: -y what is this? turns=5'] });
    const req5 = s.modelRequests().at(-1)?.body;
    expect(req5?.imageCount).toBe(1);
    expect(req5?.inputTexts?.at(-1)).toContain('<image name=[Image #1]');
  });

  it('first turn: stdin mode, --image before --, dash-prompt; argv pitfalls around --image', async () => {
    const s = await stub({ modes: ['echo'] });
    const { home, cwd } = await sandbox();
    const env = codexStubEnv(s, home);

    const viaStdin = await runCli(codexBin, [...CODEX_BASE, '--model', CODEX_STUB_MODEL], {
      env,
      cwd,
      input: 'first via stdin',
      timeoutMs: 20_000,
    });
    expect(viaStdin.exitCode, viaStdin.stderr).toBe(0);
    expect(codexEvents(viaStdin).messages).toEqual(['echo: first via stdin turns=1']);

    const image = await runCli(codexBin, [...CODEX_BASE, '--model', CODEX_STUB_MODEL, '--image', PIXEL, '--', '-x marks the spot'], {
      env,
      cwd,
      timeoutMs: 20_000,
    });
    expect(image.exitCode, image.stderr).toBe(0);
    const ev = codexEvents(image);
    expect(ev.messages).toEqual(['echo: -x marks the spot turns=1']);
    expect(s.modelRequests().at(-1)?.body?.imageCount).toBe(1);
    const threadId = String(ev.threadId);

    // Pitfall 1: `exec --image P resume <id> …` — exec's variadic --image swallows `resume` and the
    // id as image paths: a NEW thread starts (exit 0). Images must go after `resume <id>`.
    const swallowed = await runCli(codexBin, [...CODEX_BASE, '--image', PIXEL, 'resume', threadId, '--', 'oops'], {
      env,
      cwd,
      timeoutMs: 20_000,
    });
    expect(swallowed.exitCode).toBe(0);
    expect(codexEvents(swallowed).threadId).not.toBe(threadId);

    // Pitfall 2: `exec resume`'s --image takes ONE value: `--image P P -- prompt` takes the second
    // P as the PROMPT and fails with a usage error (exit 2).
    const twoValues = await runCli(codexBin, [...CODEX_BASE, 'resume', threadId, '--image', PIXEL, PIXEL, '--', 'two'], {
      env,
      cwd,
      timeoutMs: 20_000,
    });
    expect(twoValues.exitCode).toBe(2);
    expect(twoValues.stderr).toContain("unexpected argument 'two'");
  });

  it('renders a stub 401 as turn.failed (exit 1) and an in-stream context_length_exceeded as turn.failed', async () => {
    const s = await stub({ modes: [{ status: 401 }] });
    const { home, cwd } = await sandbox();
    const env = codexStubEnv(s, home);
    const r = await runCli(codexBin, [...CODEX_BASE, '--', 'Say hi'], { env, cwd, timeoutMs: 20_000 });
    expect(r.exitCode).toBe(1);
    expect(codexEvents(r).failed).toMatch(/401 Unauthorized/);

    s.setModes(['sseerror:context_length_exceeded']);
    const c = await runCli(codexBin, [...CODEX_BASE, '--', 'Say hi'], { env, cwd, timeoutMs: 20_000 });
    expect(c.exitCode).toBe(1);
    expect(codexEvents(c).failed).toMatch(/ran out of room in the model's context window/);
  });

  it('a hung request is cut by the runCli deadline and the whole process group is gone', async () => {
    const s = await stub({ modes: ['hang'] });
    const { home, cwd } = await sandbox();
    const r = await runCli(codexBin, [...CODEX_BASE, '--', 'Say hi'], { env: codexStubEnv(s, home), cwd, timeoutMs: 1_500 });
    expect(r.timedOut).toBe(true);
    expect(s.modelRequests().length).toBeGreaterThanOrEqual(1);
    expect(r.pid).toBeDefined();
    // ESRCH once the killed group members are reaped: nothing of the CLI outlives runCli.
    const pgid = r.pid ?? 0;
    const groupAlive = (): boolean => {
      try {
        process.kill(-pgid, 0);
        return true;
      } catch {
        return false;
      }
    };
    for (let i = 0; i < 100 && groupAlive(); i += 1) await new Promise((res) => setTimeout(res, 20));
    expect(groupAlive()).toBe(false);
  });
});
