/**
 * The stub's OpenAI Responses API: its wire format (the SSE stream and the response object), its
 * error JSON and in-stream `response.failed`; and the REAL `codex` (0.169.0) accepting it in the
 * argv forms the built-in backend uses (resume, stdin mode, images, dash-prompts).
 *
 * Every CLI run is its own process group with a hard deadline (runCli), every stub is closed and
 * every temp HOME removed after each test.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODEX_STUB_MODEL, codexBin, codexStubEnv, parseJsonl, repoRoot, runCli, type RunCliResult } from '../real-cli.js';
import { post, sseEventNames, stubKit } from './test-kit.js';

const PIXEL = join(repoRoot, 'test', 'fixtures', 'pixel.png');
/** Exec-level options; they must come BEFORE `resume` (`exec resume` rejects --color/--sandbox). */
const CODEX_BASE = ['exec', '--json', '--color', 'never', '--sandbox', 'read-only', '--skip-git-repo-check'] as const;
const kit = stubKit();

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

describe('stub OpenAI Responses API (wire format, no CLI)', () => {
  it('streams response.created … response.completed, or answers one response object with output_text', async () => {
    const s = await kit.stub({ text: 'Hello there, world!' });
    const o = await post(`${s.url}/v1/responses`, { model: 'gpt-x', input: 'hi', stream: true });
    expect(o.headers.get('x-request-id')).toBe('req_stub_0');
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
    const json = await (await post(`${s.url}/v1/responses`, { model: 'gpt-x', input: 'hi' })).json();
    expect(json).toMatchObject({ object: 'response', status: 'completed', model: 'gpt-x', output_text: 'Hello there, world!' });
  });

  it('an HTTP error mode answers the OpenAI error JSON; code insufficient_quota sets the type too', async () => {
    const s = await kit.stub({ modes: [{ status: 401 }, { status: 429, code: 'insufficient_quota' }] });
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
    const q = await post(`${s.url}/v1/responses`, { model: 'm', input: 'x' });
    expect(q.status).toBe(429);
    expect(await q.json()).toMatchObject({ error: { type: 'insufficient_quota', code: 'insufficient_quota' } });
  });

  it('sseerror streams response.created then response.failed with the code; without a stream it is the HTTP error', async () => {
    const s = await kit.stub({ modes: ['sseerror:context_length_exceeded'] });
    const body = await (await post(`${s.url}/v1/responses`, { model: 'm', input: 'x', stream: true })).text();
    expect(sseEventNames(body)).toEqual(['response.created', 'response.failed']);
    expect(body).toContain('"code":"context_length_exceeded"');
    const plain = await post(`${s.url}/v1/responses`, { model: 'm', input: 'x' });
    expect(plain.status).toBe(400);
    expect(await plain.json()).toMatchObject({ error: { code: 'context_length_exceeded' } });
  });
});

describe('real codex against the stub', () => {
  it('first turn, then resume in the built-in form (exec options before `resume`, JSONL output, same thread, history resent)', async () => {
    const s = await kit.stub({ modes: ['echo'] });
    const { home, cwd } = await kit.sandbox();
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
    const s = await kit.stub({ modes: ['echo'] });
    const { home, cwd } = await kit.sandbox();
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
    const s = await kit.stub({ modes: [{ status: 401 }] });
    const { home, cwd } = await kit.sandbox();
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
    const s = await kit.stub({ modes: ['hang'] });
    const { home, cwd } = await kit.sandbox();
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
