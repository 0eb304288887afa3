/**
 * The `{prompt}` placeholder of base args (`--prompt={prompt}`, the built-in `gemini-cli`): the
 * prompt is attached in place in arg mode, the element is dropped in stdin mode, and the planned
 * argv of the built-in matches the argv the real gemini fixtures were captured with.
 */
import { describe, expect, it } from 'vitest';
import { placePrompt, planCliTurn } from '../../../src/actors/cli/plan.js';
import type { CliTurnRequest } from '../../../src/actors/types.js';
import { GEMINI_CLI_BACKEND } from '../../../src/config/builtins.js';
import { mergeBackend } from '../../../src/config/merge.js';
import { redactArgv } from '../../../src/inspection/progress.js';
import { testBackend } from '../../support/backends.js';
import { cliTurnRequest } from './plan-request.js';

const NEW_ID = '2d4e6f80-1a3b-4c5d-8e9f-0a1b2c3d4e5f';
const plan = (req: CliTurnRequest) => planCliTurn(req, { env: { PATH: '/bin' }, newSessionId: () => NEW_ID });
const gemini = mergeBackend('gemini-cli', GEMINI_CLI_BACKEND, undefined);
const binding = { sessionKey: 'k', backendId: 'gemini-cli', cliSessionId: NEW_ID, cwd: '/s/cwd', createdAt: 1, updatedAt: 2, turns: 1 };

describe('the {prompt} placeholder', () => {
  it('a placeholder inside an element receives the prompt in place, and nothing is appended', () => {
    const b = testBackend({ id: 'test-cli', command: 'test-cli', args: ['run', '--prompt={prompt}'], promptSeparator: '--' });
    expect(plan(cliTurnRequest(b, { prompt: '-x marks the spot' })).argv).toEqual(['run', '--prompt=-x marks the spot']);
  });

  it('dollar patterns and placeholders inside the prompt stay literal', () => {
    expect(placePrompt(['--prompt={prompt}'], 'costs $& and {prompt} and {sessionId}', false).args).toEqual([
      '--prompt=costs $& and {prompt} and {sessionId}',
    ]);
  });

  it('stdin mode drops the element holding the placeholder', () => {
    const p = plan(
      cliTurnRequest(testBackend({ id: 'test-cli', command: 'test-cli', args: ['run', '--prompt={prompt}'], input: 'stdin' })),
    );
    expect([p.argv, p.stdin]).toEqual([['run'], 'hello']);
  });

  it('a placeholder in the system prompt or the model is not a placeholder', () => {
    const b = testBackend({ id: 'test-cli', command: 'test-cli', args: ['run'], systemPromptArg: '--sys', modelArg: '--model' });
    const p = plan(cliTurnRequest(b, { systemPrompt: 'keep {prompt}', model: '{prompt}' }));
    expect(p.argv).toEqual(['run', '--model', '{prompt}', '--sys', 'keep {prompt}', 'hello']);
  });
});

describe('built-in gemini-cli argv (fixtures gemini/session-first, session-resume, prompt-equals-dash)', () => {
  it('a first turn: JSON output, --skip-trust, the attached prompt, then --model and --session-id', () => {
    const p = plan(cliTurnRequest(gemini, { model: 'gemini-2.5-flash', prompt: '-x marks the spot' }));
    expect([p.command, ...p.argv]).toEqual([
      'gemini',
      '--output-format',
      'json',
      '--skip-trust',
      '--prompt=-x marks the spot',
      '--model',
      'gemini-2.5-flash',
      '--session-id',
      NEW_ID,
    ]);
    expect([p.stdin, p.sessionIdSent, p.parseMode]).toEqual([undefined, NEW_ID, 'json']);
  });

  it('a follow-up resumes the stored id in the stored cwd', () => {
    const p = plan(cliTurnRequest(gemini, { model: 'gemini-2.5-flash', prompt: 'which word?', binding }));
    expect(p.argv).toEqual([
      '--output-format',
      'json',
      '--skip-trust',
      '--resume',
      NEW_ID,
      '--prompt=which word?',
      '--model',
      'gemini-2.5-flash',
    ]);
    expect([p.resume, p.cwd]).toEqual([true, '/s/cwd']);
  });

  it('a prompt over 32 768 characters goes over stdin, without a --prompt element', () => {
    const long = 'y'.repeat(40_000);
    const p = plan(cliTurnRequest(gemini, { prompt: long }));
    expect(p.argv.some((arg) => arg.startsWith('--prompt'))).toBe(false);
    expect(p.stdin).toBe(long);
  });

  it('traces show the attached prompt as --prompt=<prompt:N chars>', () => {
    const p = plan(cliTurnRequest(gemini, { prompt: 'secret words' }));
    expect(redactArgv(p.argv, { prompt: 'secret words', systemPrompt: undefined, images: [] })).toContain('--prompt=<prompt:12 chars>');
  });
});
