import { describe, expect, it } from 'vitest';
import type { ResolvedCliBackend } from '../../../src/config/types.js';
import { planCliTurn, resolveCliModel, resolveNoOutputTimeoutMs } from '../../../src/actors/cli/plan.js';
import type { CliTurnRequest, SessionBinding } from '../../../src/actors/types.js';
import { testBackend } from '../../support/backends.js';
import { cliTurnRequest } from './plan-request.js';

function backend(overrides: Partial<ResolvedCliBackend> = {}): ResolvedCliBackend {
  return testBackend({ id: 'test-cli', command: 'test-cli', args: ['run'], sessionIdFields: ['session_id'], ...overrides });
}

function binding(cliSessionId: string, cwd = '/sessions/cwd'): SessionBinding {
  return { sessionKey: 'conv-1', backendId: 'test-cli', cliSessionId, cwd, createdAt: 1, updatedAt: 2, turns: 1 };
}

const request = cliTurnRequest;

const NEW_ID = 'new-session-id';
const plan = (req: CliTurnRequest) => planCliTurn(req, { env: { PATH: '/bin' }, newSessionId: () => NEW_ID });

describe('base argv: args vs resumeArgs', () => {
  it('a fresh run starts with args', () => {
    expect(plan(request(backend({ args: ['-p', '--json'] }))).argv).toEqual(['-p', '--json', 'hello']);
  });

  it('a resume run replaces args with resumeArgs, substituting every {sessionId} (replace-all within elements)', () => {
    const b = backend({ resumeArgs: ['exec', 'resume', '{sessionId}', '--tag={sessionId}:{sessionId}'] });
    const p = plan(request(b, { binding: binding('abc') }));
    expect(p.resume).toBe(true);
    expect(p.argv).toEqual(['exec', 'resume', 'abc', '--tag=abc:abc', 'hello']);
    expect(p.sessionIdSent).toBe('abc');
    expect(p.newSession).toBe(false);
  });

  it('a stored id without resumeArgs runs the fresh path with the stored id in sessionArg', () => {
    const p = plan(request(backend({ sessionArg: '--session' }), { binding: binding('abc') }));
    expect(p.resume).toBe(false);
    expect(p.newSession).toBe(false);
    expect(p.argv).toEqual(['run', '--session', 'abc', 'hello']);
  });

  it('does not mutate the backend arrays', () => {
    const b = backend({ args: ['a'] });
    plan(request(b, { model: 'm' }));
    expect(b.args).toEqual(['a']);
  });
});

describe('model and modelAliases', () => {
  const b = backend({ modelArg: '--model', modelAliases: { 'Opus-4.6': 'opus-exact', 'sonnet-4.5': 'sonnet' } });

  it('resolveCliModel: exact key first', () => {
    expect(resolveCliModel(b, 'Opus-4.6')).toBe('opus-exact');
  });
  it('resolveCliModel: then the lower-cased key', () => {
    expect(resolveCliModel(b, 'SONNET-4.5')).toBe('sonnet');
  });
  it('resolveCliModel: else the trimmed model passes through', () => {
    expect(resolveCliModel(b, '  gpt-5.3-codex ')).toBe('gpt-5.3-codex');
  });
  it('resolveCliModel: an empty model gives no model', () => {
    expect(resolveCliModel(b, '   ')).toBe('');
    expect(plan(request(b, { model: '' })).argv).toEqual(['run', 'hello']);
  });
  it('resolveCliModel: ignores Object.prototype keys', () => {
    expect(resolveCliModel(backend(), 'constructor')).toBe('constructor');
  });
  it('modelArg <cliModel> follows the base on fresh runs', () => {
    expect(plan(request(b, { model: 'sonnet-4.5' })).argv).toEqual(['run', '--model', 'sonnet', 'hello']);
  });
  it('modelArg <cliModel> is sent on resume runs too', () => {
    const p = plan(request({ ...b, resumeArgs: ['resume', '{sessionId}'] }, { model: 'x', binding: binding('s1') }));
    expect(p.argv).toEqual(['resume', 's1', '--model', 'x', 'hello']);
  });
  it('no modelArg means no model flag', () => {
    expect(plan(request(backend(), { model: 'x' })).argv).toEqual(['run', 'hello']);
  });
});

describe('session args: sessionArg vs sessionArgs', () => {
  it('sessionArg <id> on a fresh run', () => {
    expect(plan(request(backend({ sessionArg: '--session-id' }))).argv).toEqual(['run', '--session-id', NEW_ID, 'hello']);
  });
  it('sessionArgs (with {sessionId}) win over sessionArg', () => {
    const b = backend({ sessionArg: '--ignored', sessionArgs: ['--sid', '{sessionId}', '--tag=s-{sessionId}'] });
    expect(plan(request(b)).argv).toEqual(['run', '--sid', NEW_ID, `--tag=s-${NEW_ID}`, 'hello']);
  });
  it('session args are never added to a resume run', () => {
    const b = backend({ sessionArg: '--session-id', resumeArgs: ['--resume', '{sessionId}'] });
    expect(plan(request(b, { binding: binding('old') })).argv).toEqual(['--resume', 'old', 'hello']);
  });
  it('without sessionArg/sessionArgs no id is reported as sent on a fresh run', () => {
    expect(plan(request(backend())).sessionIdSent).toBeUndefined();
  });
});

describe('sessionMode', () => {
  const withArg = (mode: ResolvedCliBackend['sessionMode']) => backend({ sessionMode: mode, sessionArg: '--session' });

  it('always, nothing stored: a new UUID, new session', () => {
    const p = plan(request(withArg('always')));
    expect([p.sessionIdSent, p.newSession]).toEqual([NEW_ID, true]);
  });
  it('always, stored: the stored id, not a new session', () => {
    const p = plan(request(withArg('always'), { binding: binding('stored') }));
    expect([p.sessionIdSent, p.newSession]).toEqual(['stored', false]);
  });
  it('always, forceNewSession: ignores the stored id and sends a new UUID', () => {
    const p = plan(request(withArg('always'), { binding: binding('stored'), forceNewSession: true }));
    expect([p.sessionIdSent, p.newSession]).toEqual([NEW_ID, true]);
  });
  it('always: the default generator is crypto.randomUUID', () => {
    const p = planCliTurn(request(withArg('always')), { env: {} });
    expect(p.sessionIdSent).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });
  it('existing, nothing stored: no id, new session', () => {
    const p = plan(request(withArg('existing')));
    expect([p.sessionIdSent, p.newSession, p.argv]).toEqual([undefined, true, ['run', 'hello']]);
  });
  it('existing, stored: the stored id', () => {
    const p = plan(request(withArg('existing'), { binding: binding('stored') }));
    expect([p.sessionIdSent, p.newSession]).toEqual(['stored', false]);
  });
  it('existing, forceNewSession: no id', () => {
    const p = plan(request(withArg('existing'), { binding: binding('stored'), forceNewSession: true }));
    expect([p.sessionIdSent, p.newSession, p.argv]).toEqual([undefined, true, ['run', 'hello']]);
  });
  it('none: never an id and never a resume, even with a stored id and resumeArgs', () => {
    const b = backend({ sessionMode: 'none', sessionArg: '--session', resumeArgs: ['resume', '{sessionId}'] });
    const p = plan(request(b, { binding: binding('stored') }));
    expect([p.sessionIdSent, p.newSession, p.resume, p.argv]).toEqual([undefined, true, false, ['run', 'hello']]);
    expect(p.cwd).toBe('/request/cwd');
  });
});

describe('systemPromptWhen', () => {
  const sp = { systemPrompt: 'Be brief.' };
  const b = (when: ResolvedCliBackend['systemPromptWhen']) =>
    backend({ systemPromptArg: '--system', systemPromptWhen: when, resumeArgs: ['resume', '{sessionId}'] });

  it('first: sent on the first turn (new session)', () => {
    expect(plan(request(b('first'), sp)).argv).toEqual(['run', '--system', 'Be brief.', 'hello']);
  });
  it('first: not sent on a resume', () => {
    expect(plan(request(b('first'), { ...sp, binding: binding('s') })).argv).toEqual(['resume', 's', 'hello']);
  });
  it('first: not sent when a stored id is reused through sessionArg (no resumeArgs)', () => {
    const p = plan(request(backend({ systemPromptArg: '--system', sessionArg: '--session' }), { ...sp, binding: binding('s') }));
    expect(p.argv).toEqual(['run', '--session', 's', 'hello']);
  });
  it('always: sent on the first turn and on resume', () => {
    expect(plan(request(b('always'), sp)).argv).toContain('--system');
    expect(plan(request(b('always'), { ...sp, binding: binding('s') })).argv).toEqual(['resume', 's', '--system', 'Be brief.', 'hello']);
  });
  it('never: not sent, first turn or resume', () => {
    expect(plan(request(b('never'), sp)).argv).toEqual(['run', 'hello']);
    expect(plan(request(b('never'), { ...sp, binding: binding('s') })).argv).toEqual(['resume', 's', 'hello']);
  });
  it('a blank or missing system prompt, or no systemPromptArg, sends nothing', () => {
    expect(plan(request(b('always'), { systemPrompt: '  ' })).argv).toEqual(['run', 'hello']);
    expect(plan(request(b('always'))).argv).toEqual(['run', 'hello']);
    expect(plan(request(backend({ systemPromptWhen: 'always' }), sp)).argv).toEqual(['run', 'hello']);
  });
});

describe('images', () => {
  const images = [
    { path: '/tmp/a/image-1.png', mimeType: 'image/png' },
    { path: '/tmp/a/image-2.jpg', mimeType: 'image/jpeg' },
  ];
  it('imageArg + repeat: imageArg p1 imageArg p2', () => {
    expect(plan(request(backend({ imageArg: '--image' }), { images })).argv).toEqual([
      'run',
      '--image',
      '/tmp/a/image-1.png',
      '--image',
      '/tmp/a/image-2.jpg',
      'hello',
    ]);
  });
  it('imageArg + list: imageArg p1,p2', () => {
    expect(plan(request(backend({ imageArg: '--image', imageMode: 'list' }), { images })).argv).toEqual([
      'run',
      '--image',
      '/tmp/a/image-1.png,/tmp/a/image-2.jpg',
      'hello',
    ]);
  });
  it('images are passed on resume runs too', () => {
    const b = backend({ imageArg: '--image', resumeArgs: ['resume', '{sessionId}'] });
    expect(plan(request(b, { images: images.slice(0, 1), binding: binding('s') })).argv).toEqual([
      'resume',
      's',
      '--image',
      '/tmp/a/image-1.png',
      'hello',
    ]);
  });
  it('imageArg unset: paths go into the prompt one per line, then a blank line, then the message last', () => {
    expect(plan(request(backend(), { images })).argv).toEqual(['run', '/tmp/a/image-1.png\n/tmp/a/image-2.jpg\n\nhello']);
  });
  it('imageArg unset in stdin mode: the paths go to stdin before the message', () => {
    const p = plan(request(backend({ input: 'stdin' }), { images: images.slice(0, 1) }));
    expect([p.argv, p.stdin]).toEqual([['run'], '/tmp/a/image-1.png\n\nhello']);
  });
});

describe('prompt delivery: input, maxPromptArgChars, promptSeparator', () => {
  it('arg mode: the prompt is the last argv element and stdin is /dev/null (undefined)', () => {
    const p = plan(request(backend()));
    expect([p.argv, p.stdin]).toEqual([['run', 'hello'], undefined]);
  });
  it('promptSeparator goes right before an argv prompt', () => {
    expect(plan(request(backend({ promptSeparator: '--' }), { prompt: '-x marks the spot' })).argv).toEqual([
      'run',
      '--',
      '-x marks the spot',
    ]);
  });
  it('stdin mode: nothing added to argv (no separator), stdin is the prompt', () => {
    const p = plan(request(backend({ input: 'stdin', promptSeparator: '--' })));
    expect([p.argv, p.stdin]).toEqual([['run'], 'hello']);
  });
  it('maxPromptArgChars: a longer prompt switches to stdin', () => {
    const p = plan(request(backend({ maxPromptArgChars: 4, promptSeparator: '--' })));
    expect([p.argv, p.stdin]).toEqual([['run'], 'hello']);
  });
  it('maxPromptArgChars: a prompt of exactly the limit stays in argv', () => {
    const p = plan(request(backend({ maxPromptArgChars: 5 })));
    expect([p.argv, p.stdin]).toEqual([['run', 'hello'], undefined]);
  });
});

describe('argv order', () => {
  it('base, model, system prompt, session, images, separator, prompt', () => {
    const b = backend({
      args: ['-p'],
      modelArg: '--model',
      systemPromptArg: '--sys',
      sessionArg: '--session-id',
      imageArg: '--image',
      promptSeparator: '--',
    });
    const p = plan(request(b, { model: 'm', systemPrompt: 'S', images: [{ path: '/i.png', mimeType: 'image/png' }] }));
    expect(p.argv).toEqual(['-p', '--model', 'm', '--sys', 'S', '--session-id', NEW_ID, '--image', '/i.png', '--', 'hello']);
  });
  it('spec-era claude-cli fresh turn (reference §1.4) plus the `--` separator', () => {
    const claude = backend({
      command: 'claude',
      args: ['-p', '--output-format', 'json', '--dangerously-skip-permissions'],
      resumeArgs: ['-p', '--output-format', 'json', '--dangerously-skip-permissions', '--resume', '{sessionId}'],
      modelArg: '--model',
      systemPromptArg: '--append-system-prompt',
      sessionArg: '--session-id',
      promptSeparator: '--',
    });
    const fresh = plan(request(claude, { model: 'opus', systemPrompt: 'sp' }));
    expect([fresh.command, ...fresh.argv]).toEqual([
      'claude',
      '-p',
      '--output-format',
      'json',
      '--dangerously-skip-permissions',
      '--model',
      'opus',
      '--append-system-prompt',
      'sp',
      '--session-id',
      NEW_ID,
      '--',
      'hello',
    ]);
    const resumed = plan(request(claude, { model: 'opus', systemPrompt: 'sp', binding: binding('s9') }));
    expect(resumed.argv).toEqual([
      '-p',
      '--output-format',
      'json',
      '--dangerously-skip-permissions',
      '--resume',
      's9',
      '--model',
      'opus',
      '--',
      'hello',
    ]);
  });
});

describe('parseMode', () => {
  const b = backend({ output: 'jsonl', resumeOutput: 'text', resumeArgs: ['resume', '{sessionId}'] });
  it('fresh runs parse with output', () => {
    expect(plan(request(b)).parseMode).toBe('jsonl');
  });
  it('resume runs parse with resumeOutput', () => {
    expect(plan(request(b, { binding: binding('s') })).parseMode).toBe('text');
  });
  it('resume runs without resumeOutput parse with output', () => {
    expect(plan(request({ ...b, resumeOutput: undefined }, { binding: binding('s') })).parseMode).toBe('jsonl');
  });
});

describe('cwd', () => {
  it('a fresh session runs in request.cwd', () => {
    expect(plan(request(backend())).cwd).toBe('/request/cwd');
  });
  it('a resumed session runs in binding.cwd', () => {
    expect(plan(request(backend({ resumeArgs: ['r', '{sessionId}'] }), { binding: binding('s', '/where/it/began') })).cwd).toBe(
      '/where/it/began',
    );
  });
  it('a stored session continued through sessionArg (no resumeArgs) also runs in binding.cwd', () => {
    expect(plan(request(backend({ sessionArg: '--s' }), { binding: binding('s', '/where/it/began') })).cwd).toBe('/where/it/began');
  });
  it('a forced new session runs in request.cwd', () => {
    const b = backend({ resumeArgs: ['r', '{sessionId}'] });
    expect(plan(request(b, { binding: binding('s', '/old'), forceNewSession: true })).cwd).toBe('/request/cwd');
  });
});

describe('env', () => {
  it('is the inherited env minus clearEnv plus env', () => {
    const p = planCliTurn(request(backend({ clearEnv: ['SECRET', 'KEEP_ME'], env: { KEEP_ME: 'explicit', ADDED: '1' } })), {
      env: { PATH: '/bin', SECRET: 's', KEEP_ME: 'inherited' },
    });
    expect(p.env).toEqual({ PATH: '/bin', KEEP_ME: 'explicit', ADDED: '1' });
  });
});

describe('no-output watchdog (reference §1.9)', () => {
  const profile = { noOutputTimeoutRatio: 0.5, minMs: 1_000, maxMs: 1_000_000 };
  it('ratio × timeout, floored', () => {
    expect(resolveNoOutputTimeoutMs(profile, 10_001)).toBe(5_000);
  });
  it('the ratio is clamped to 0.05–0.95', () => {
    expect(resolveNoOutputTimeoutMs({ ...profile, noOutputTimeoutRatio: 2 }, 100_000)).toBe(95_000);
    expect(resolveNoOutputTimeoutMs({ ...profile, noOutputTimeoutRatio: 0 }, 100_000)).toBe(5_000);
  });
  it('clamped to minMs and maxMs', () => {
    expect(resolveNoOutputTimeoutMs({ ...profile, minMs: 30_000 }, 20_000)).toBe(19_000);
    expect(resolveNoOutputTimeoutMs({ ...profile, minMs: 7_000 }, 10_000)).toBe(7_000);
    expect(resolveNoOutputTimeoutMs({ ...profile, maxMs: 2_000 }, 100_000)).toBe(2_000);
  });
  it('inverted minMs/maxMs are swapped', () => {
    expect(resolveNoOutputTimeoutMs({ ...profile, minMs: 9_000, maxMs: 3_000 }, 100_000)).toBe(9_000);
    expect(resolveNoOutputTimeoutMs({ ...profile, minMs: 9_000, maxMs: 3_000 }, 2_000)).toBe(1_000);
  });
  it('a fixed noOutputTimeoutMs wins, floored and at least 1000', () => {
    expect(resolveNoOutputTimeoutMs({ ...profile, noOutputTimeoutMs: 4_321.9 }, 100_000)).toBe(4_321);
    expect(resolveNoOutputTimeoutMs({ ...profile, noOutputTimeoutMs: 10 }, 100_000)).toBe(1_000);
  });
  it('capped at max(1000, timeoutMs − 1000)', () => {
    expect(resolveNoOutputTimeoutMs({ ...profile, noOutputTimeoutMs: 50_000 }, 20_000)).toBe(19_000);
    expect(resolveNoOutputTimeoutMs({ ...profile, noOutputTimeoutMs: 50_000 }, 500)).toBe(1_000);
  });
  it('default profiles: fresh 480 s and resume 180 s for a 600 s attempt', () => {
    const b = backend({ resumeArgs: ['r', '{sessionId}'] });
    expect(plan(request(b)).noOutputTimeoutMs).toBe(480_000);
    expect(plan(request(b, { binding: binding('s') })).noOutputTimeoutMs).toBe(180_000);
  });
  it('the resume profile applies only to resume runs', () => {
    const b = backend({ sessionArg: '--s' });
    expect(plan(request(b, { binding: binding('s') })).noOutputTimeoutMs).toBe(480_000);
  });
});
