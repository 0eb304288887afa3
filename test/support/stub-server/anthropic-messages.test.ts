/**
 * The stub's Anthropic Messages API: its wire format (SSE events and the message object), its error
 * JSON, in-stream errors and stalls; and the REAL `claude` (2.1.197) accepting it in the argv forms
 * the built-in backend uses (sessions, resume with JSON output, stdin mode, dash-prompts).
 *
 * Every CLI run is its own process group with a hard deadline (runCli), every stub is closed and
 * every temp HOME removed after each test.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { claudeBin, claudeStubEnv, runCli, type RunCliResult } from '../real-cli.js';
import { post, sseEventNames, stubKit } from './test-kit.js';

const CLAUDE_BASE = ['-p', '--output-format', 'json', '--dangerously-skip-permissions'] as const;
const kit = stubKit();
const MSG = { model: 'claude-x', messages: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };

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

describe('stub Anthropic Messages API (wire format, no CLI)', () => {
  it('streams message_start … message_stop whose text deltas join to the reply, or answers one message object', async () => {
    const s = await kit.stub({ text: 'Hello there, world!' });
    const a = await post(`${s.url}/v1/messages?beta=true`, { ...MSG, stream: true });
    expect(a.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(a.headers.get('request-id')).toBe('req_stub_0');
    const aBody = await a.text();
    const names = sseEventNames(aBody);
    expect(names[0]).toBe('message_start');
    expect(names.slice(1, 3)).toEqual(['content_block_start', 'ping']);
    expect(names.slice(-3)).toEqual(['content_block_stop', 'message_delta', 'message_stop']);
    const deltas = [...aBody.matchAll(/"text_delta","text":("[^"]*")/g)].map((m) => JSON.parse(m[1] ?? '""') as string);
    expect(deltas.join('')).toBe('Hello there, world!');
    expect(aBody).toContain('"stop_reason":"end_turn"');

    const aJson = (await (await post(`${s.url}/v1/messages`, MSG)).json()) as Record<string, unknown>;
    expect(aJson).toMatchObject({ type: 'message', role: 'assistant', content: [{ type: 'text', text: 'Hello there, world!' }] });
  });

  it('an HTTP error mode answers the Anthropic error type of its status', async () => {
    const s = await kit.stub({ modes: [{ status: 429 }, { status: 529 }, { status: 401, type: 'custom_error', message: 'nope' }] });
    const r1 = await post(`${s.url}/v1/messages`, MSG);
    expect([r1.status, await r1.json()]).toEqual([
      429,
      {
        type: 'error',
        error: { type: 'rate_limit_error', message: expect.stringContaining('rate limit') as unknown },
        request_id: 'req_stub_0',
      },
    ]);
    const r2 = await post(`${s.url}/v1/messages`, MSG);
    expect([r2.status, ((await r2.json()) as { error: { type: string } }).error.type]).toEqual([529, 'overloaded_error']);
    const r3 = await post(`${s.url}/v1/messages`, MSG);
    expect(await r3.json()).toMatchObject({ error: { type: 'custom_error', message: 'nope' } });
  });

  it('sseerror streams message_start then an error event; without a stream it is the HTTP error of that type', async () => {
    const s = await kit.stub({ modes: ['sseerror:overloaded_error'] });
    const body = await (await post(`${s.url}/v1/messages`, { ...MSG, stream: true })).text();
    expect(sseEventNames(body)).toEqual(['message_start', 'error']);
    expect(body).toContain('"overloaded_error"');
    const plain = await post(`${s.url}/v1/messages`, MSG);
    expect([plain.status, ((await plain.json()) as { error: { type: string } }).error.type]).toEqual([529, 'overloaded_error']);
  });

  it('stall sends the headers and message_start, then nothing until close()', async () => {
    const s = await kit.stub({ modes: ['stall'] });
    const stalled = await post(`${s.url}/v1/messages`, { ...MSG, stream: true });
    expect(stalled.status).toBe(200);
    const reader = stalled.body?.getReader();
    const first = await reader?.read();
    expect(new TextDecoder().decode(first?.value)).toContain('message_start');
    await s.close();
    await expect(reader?.read()).rejects.toThrow();
  });
});

describe('real claude against the stub', () => {
  it('first turn (--session-id, --append-system-prompt) then --resume in the same HOME and cwd resends the history', async () => {
    const s = await kit.stub({ modes: ['echo'] });
    const { home, cwd } = await kit.sandbox();
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
    const s = await kit.stub({ modes: ['echo'] });
    const { home, cwd } = await kit.sandbox();
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
    const s = await kit.stub({ modes: [{ status: 429 }] });
    const { home, cwd } = await kit.sandbox();
    const r = await runCli(claudeBin, [...CLAUDE_BASE, '--', 'Say hi'], { env: claudeStubEnv(s, home), cwd, timeoutMs: 20_000 });
    expect(r.exitCode).toBe(1);
    const out = claudeJson(r);
    expect(out).toMatchObject({ type: 'result', is_error: true, api_error_status: 429 });
    expect(out.result).toContain('429');
    expect(s.modelRequests().length).toBe(2); // first attempt + 1 retry
  });
});
