/**
 * Issue 13, cases 5, 6 and 8: planted secrets never reach any output. A configured provider key,
 * a backend's secret env value, the standard key variables of the environment, a `baseUrl` with a
 * user, a password and a `?key=`, and a Redis URL password are planted; a fixture CLI prints them
 * (and its prompt) on stderr and fails. Every output of `safetynet agent` (stdout and stderr, with
 * and without `--json`, with `--verbose`), the `--inspect=file:` JSONL, `safetynet trace` (text
 * and `--json`) and `safetynet doctor` (text and `--json`) is grepped for each of them: none is
 * found. The stored trace holds no prompt.
 */
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { deadPort } from '../actors/api/helpers.js';
import { REPO, cleanup, configWith, fakeBackend, safetynet, sandbox, writeConfig, type Sandbox } from './support.js';

afterEach(cleanup);

const LEAKY_CLI = path.join(REPO, 'test/fixtures/bin/leak-stderr.mjs');

/** Every planted secret, by where it was planted. */
const SECRETS = {
  providerKey: 'sk-config-provider-7c1d93e2',
  backendEnvToken: 'cfg-backend-token-55aa91',
  openaiEnv: 'sk-env-openai-0b6f2e77',
  anthropicEnv: 'sk-ant-env-9d8c7b6a',
  geminiEnv: 'gem-env-key-3e2d1c0b',
  baseUrlUser: 'urluser-6a5b4c',
  baseUrlPassword: 'urlpass-8e7f6a',
  baseUrlQueryKey: 'querykey-1f2e3d4c',
  redisPassword: 'redis-pass-4f9e1c',
} as const;

const PROMPT = 'PROMPT-MARKER-71 tell me about kiwis';

const ENV = {
  OPENAI_API_KEY: SECRETS.openaiEnv,
  ANTHROPIC_API_KEY: SECRETS.anthropicEnv,
  GEMINI_API_KEY: SECRETS.geminiEnv,
};

/** A config: primary the leaky CLI, then an API provider with credentials in its base URL, then (if `answers`) the fixture CLI. */
async function leakyConfig(box: Sandbox, answers: boolean): Promise<string> {
  const port = await deadPort();
  const baseUrl = `http://${SECRETS.baseUrlUser}:${SECRETS.baseUrlPassword}@127.0.0.1:${port}/v1?key=${SECRETS.baseUrlQueryKey}`;
  const leaky = {
    command: LEAKY_CLI,
    args: [],
    output: 'text',
    env: { LEAK_VARS: 'OPENAI_API_KEY,ANTHROPIC_API_KEY,GEMINI_API_KEY,BACKEND_TOKEN', BACKEND_TOKEN: SECRETS.backendEnvToken },
  };
  const backends: Record<string, unknown> = { leaky, ...(answers ? { fake: fakeBackend(box.fakeState) } : {}) };
  return writeConfig(path.join(box.root, `config-${answers}.json5`), {
    models: { providers: { creds: { api: 'openai-completions', baseUrl, apiKey: SECRETS.providerKey, models: [{ id: 'm' }] } } },
    ...(configWith(backends, {
      model: { primary: 'leaky/default', fallbacks: ['creds/m', ...(answers ? ['fake/default'] : [])] },
    }) as object),
  });
}

/** How often each planted secret occurs in each output. */
function leaks(outputs: Record<string, string>): string[] {
  const found: string[] = [];
  for (const [where, text] of Object.entries(outputs))
    for (const [name, secret] of Object.entries(SECRETS)) if (text.includes(secret)) found.push(`${name} in ${where}`);
  return found;
}

describe('planted secrets are redacted from every output (issue 13, cases 5, 6, 8)', () => {
  for (const answers of [true, false]) {
    it(`no planted secret appears in stdout, stderr, --json, --verbose, the inspection JSONL or the trace (text and --json) — ${answers ? 'answered after two failures' : 'every candidate failed'}`, async () => {
      const box = await sandbox();
      const config = await leakyConfig(box, answers);
      const inspectFile = path.join(box.root, 'events.jsonl');
      writeFileSync(inspectFile, 'old content\n');
      chmodSync(inspectFile, 0o644);
      const args = ['agent', '--message', PROMPT, '--config', config];
      const json = await safetynet(box, [...args, '--json', `--inspect=file:${inspectFile}`], { env: ENV });
      const plain = await safetynet(box, [...args, '--verbose'], { env: ENV });
      expect(json.exitCode, json.stderr).toBe(answers ? 0 : 1);
      expect(plain.exitCode, plain.stderr).toBe(answers ? 0 : 1);
      const parsed = JSON.parse(json.stdout) as { requestId: string; attempts: Array<{ detail?: string }> };
      const traceJson = await safetynet(box, ['trace', parsed.requestId, '--json', '--config', config], { env: ENV });
      const traceText = await safetynet(box, ['trace', parsed.requestId, '--config', config], { env: ENV });
      expect(traceJson.exitCode, traceJson.stderr).toBe(0);
      expect(traceText.exitCode, traceText.stderr).toBe(0);
      const doctor = await safetynet(box, ['doctor', '--config', config], { env: ENV });
      const doctorJson = await safetynet(box, ['doctor', '--json', '--config', config], { env: ENV });
      const outputs = {
        'doctor stdout': doctor.stdout,
        'doctor stderr': doctor.stderr,
        'doctor --json': doctorJson.stdout,
        'agent --json stdout': json.stdout,
        'agent --json stderr': json.stderr,
        'agent --verbose stdout': plain.stdout,
        'agent --verbose stderr': plain.stderr,
        'inspection JSONL': readFileSync(inspectFile, 'utf8'),
        'trace --json': traceJson.stdout,
        'trace text': traceText.stdout,
      };
      const found = leaks(outputs);
      console.info(`planted secrets found in any output (${answers ? 'answered' : 'failed'}): ${found.length}`);
      expect(found).toEqual([]);
      // the failure is still reported, its detail without the secrets
      expect(parsed.attempts[0]?.detail).toContain('(redacted)');
      // the base URL is still shown, without its credentials
      expect(traceText.stdout).toContain('http://(redacted)@127.0.0.1:');
      expect(traceJson.stdout).toContain('?key=(redacted)');
    });
  }

  it('a CLI that echoes the prompt on stderr does not put the prompt into the stored trace (case 8)', async () => {
    const box = await sandbox();
    const config = await leakyConfig(box, false);
    const run = await safetynet(box, ['agent', '--message', PROMPT, '--config', config, '--json'], { env: ENV });
    expect(run.exitCode, run.stderr).toBe(1);
    const { requestId } = JSON.parse(run.stdout) as { requestId: string };
    const traceJson = await safetynet(box, ['trace', requestId, '--json', '--config', config]);
    const traceText = await safetynet(box, ['trace', requestId, '--config', config]);
    for (const text of [traceJson.stdout, traceText.stdout]) {
      expect(text).not.toContain('PROMPT-MARKER-71');
      expect(text).toContain('raw: (prompt)');
    }
    expect(JSON.parse(traceJson.stdout)).toMatchObject({ promptChars: PROMPT.length });
  });

  it('an existing --inspect=file: target is made private (0600) before prompt events are written to it (case 8)', async () => {
    const box = await sandbox();
    const config = writeConfig(path.join(box.root, 'config.json5'), configWith({ fake: fakeBackend(box.fakeState) }));
    const file = path.join(box.root, 'events.jsonl');
    writeFileSync(file, '');
    chmodSync(file, 0o644);
    const run = await safetynet(box, [
      'agent',
      '--message',
      PROMPT,
      '--model',
      'fake/default',
      '--config',
      config,
      `--inspect=file:${file}`,
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('PROMPT-MARKER-71');
  });
});
