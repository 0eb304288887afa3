/**
 * `runDoctor` against real processes and a real LevelDB: a missing command, a root-refusing fake
 * CLI (and the IS_SANDBOX fix), login heuristics in a temp HOME, API keys, a store locked by another
 * process, and active cooldowns.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/index.js';
import type { SafetynetConfigFile } from '../../src/config/types.js';
import { runDoctor, type DoctorCheck, type DoctorOptions } from '../../src/doctor/doctor.js';
import { CooldownStore } from '../../src/store/index.js';
import { cleanup, holdLock, REPO, tempFolder } from '../store/support.js';

afterEach(cleanup);

const FAKE_CLI = path.join(REPO, 'test/fixtures/bin/fake-cli.mjs');
const ROOT_FAKE = path.join(REPO, 'test/fixtures/bin/root-refusing-cli.mjs');
/** The inherited environment of every check: only PATH, so the developer's keys and HOME never count. */
const ENV = { PATH: process.env['PATH'] ?? '/usr/bin:/bin' };

async function doctor(file: SafetynetConfigFile, options: Partial<DoctorOptions> = {}) {
  const dir = await tempFolder();
  const config = await loadConfig({ inline: file, env: ENV });
  return runDoctor({ config, storeLocation: path.join(dir, 'state'), env: ENV, uid: 1000, probeTimeoutMs: 10_000, ...options });
}

function find(checks: DoctorCheck[], candidate: string, check: DoctorCheck['check']): DoctorCheck | undefined {
  return checks.find((entry) => entry.candidate === candidate && entry.check === check);
}

const fake = { command: FAKE_CLI, output: 'json' as const, promptSeparator: '--' };

describe('runDoctor', () => {
  it('a missing command is an error with its fix; the candidate that can run passes; exit status follows', async () => {
    const report = await doctor({
      agents: {
        defaults: {
          model: { primary: 'fake/m', fallbacks: ['gone/m'] },
          cliBackends: { fake, gone: { command: 'safetynet-no-such-cli' } },
        },
      },
    });
    expect(report.candidates).toEqual(['fake/m', 'gone/m']);
    expect(find(report.checks, 'gone/m', 'command')).toMatchObject({
      ok: false,
      level: 'error',
      problem: 'command "safetynet-no-such-cli" not found: it is not on the PATH of its environment',
      fix: 'install it, or set agents.defaults.cliBackends.gone.command to its full path',
    });
    // the fixture CLI has no --version: a warning, not an error
    expect(find(report.checks, 'fake/m', 'command')).toMatchObject({ ok: false, level: 'warning', detail: FAKE_CLI });
    expect(find(report.checks, 'state', 'store')).toMatchObject({ ok: true });
    expect(report.ok).toBe(false);

    const good = await doctor({ agents: { defaults: { model: 'fake/m', cliBackends: { fake } } } });
    expect(good.ok).toBe(true);
  });

  it('an absolute command that does not exist, or is not executable, is an error', async () => {
    const dir = await tempFolder();
    const plain = path.join(dir, 'plain-file');
    writeFileSync(plain, '#!/bin/sh\n', { mode: 0o644 });
    const report = await doctor({
      agents: {
        defaults: {
          model: { primary: 'a/m', fallbacks: ['b/m'] },
          cliBackends: { a: { command: path.join(dir, 'nope') }, b: { command: plain } },
        },
      },
    });
    expect(find(report.checks, 'a/m', 'command')?.problem).toMatch(/not found: it does not exist/);
    expect(find(report.checks, 'b/m', 'command')).toMatchObject({ level: 'error', problem: `command ${plain} is not executable` });
  });

  it('as root, --dangerously-skip-permissions without IS_SANDBOX is refused: the CLI is probed and quoted, the fix names IS_SANDBOX', async () => {
    const refusing = {
      command: ROOT_FAKE,
      args: ['-p', '--output-format', 'json', '--dangerously-skip-permissions'],
      output: 'json' as const,
    };
    const config = (env: Record<string, string> = {}): SafetynetConfigFile => ({
      agents: { defaults: { model: 'claudeish/m', cliBackends: { claudeish: { ...refusing, env } } } },
    });

    const asRoot = await doctor(config(), { uid: 0 });
    expect(find(asRoot.checks, 'claudeish/m', 'command')).toMatchObject({
      ok: true,
      detail: `${ROOT_FAKE} (2.1.197 (Root-refusing fake))`,
    });
    const root = find(asRoot.checks, 'claudeish/m', 'root');
    expect(root).toMatchObject({
      ok: false,
      level: 'error',
      fix: 'set agents.defaults.cliBackends.claudeish.env.IS_SANDBOX = "1" (only inside a sandbox you trust) or run safetynet as a non-root user',
    });
    expect(root!.problem).toContain('("--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons")');
    expect(asRoot.ok).toBe(false);

    const sandboxed = await doctor(config({ IS_SANDBOX: '1' }), { uid: 0 });
    expect(find(sandboxed.checks, 'claudeish/m', 'root')).toMatchObject({
      ok: true,
      detail: 'running as root with IS_SANDBOX=1: --dangerously-skip-permissions is accepted',
    });
    expect(sandboxed.ok).toBe(true);

    // the same config as a normal user: no refusal, whatever uid the test itself runs as
    const normalUser = await doctor(config(), { uid: 1000 });
    expect(find(normalUser.checks, 'claudeish/m', 'root')).toMatchObject({
      ok: true,
      detail: 'not running as root: --dangerously-skip-permissions is accepted',
    });
    expect(normalUser.ok).toBe(true);
  });

  it('claude and codex: "looks logged in" from a key in the child env or credential files under its HOME', async () => {
    const home = await tempFolder();
    const claude = (env: Record<string, string>): SafetynetConfigFile => ({
      agents: {
        defaults: {
          model: 'claude-cli/opus-4.6',
          cliBackends: { 'claude-cli': { command: ROOT_FAKE, env: { HOME: home, IS_SANDBOX: '1', ...env } } },
        },
      },
    });
    const out = await doctor(claude({}));
    expect(find(out.checks, 'claude-cli/opus-4.6', 'login')).toMatchObject({ ok: false, level: 'error' });
    expect(find(out.checks, 'claude-cli/opus-4.6', 'login')!.fix).toContain('/login');
    // the built-in clears an inherited ANTHROPIC_API_KEY: it does not count
    const inherited = await doctor(claude({}), { env: { ...ENV, ANTHROPIC_API_KEY: 'sk-inherited-0000' } });
    expect(find(inherited.checks, 'claude-cli/opus-4.6', 'login')).toMatchObject({ ok: false });
    // an explicit env value wins over clearEnv
    expect(find((await doctor(claude({ ANTHROPIC_API_KEY: 'sk-explicit-0000' }))).checks, 'claude-cli/opus-4.6', 'login')).toMatchObject({
      ok: true,
      detail: 'looks logged in: ANTHROPIC_API_KEY is set in its environment',
    });
    mkdirSync(path.join(home, '.claude'), { recursive: true });
    writeFileSync(path.join(home, '.claude.json'), JSON.stringify({ oauthAccount: { emailAddress: 'me@example.com' } }));
    expect(find((await doctor(claude({}))).checks, 'claude-cli/opus-4.6', 'login')).toMatchObject({
      ok: true,
      detail: `looks logged in: oauthAccount in ${path.join(home, '.claude.json')}`,
    });

    const codexHome = path.join(home, 'codex');
    const codex: SafetynetConfigFile = {
      agents: {
        defaults: {
          model: 'codex-cli/gpt-5',
          cliBackends: { 'codex-cli': { command: FAKE_CLI, env: { HOME: home, CODEX_HOME: codexHome } } },
        },
      },
    };
    expect(find((await doctor(codex)).checks, 'codex-cli/gpt-5', 'login')).toMatchObject({
      ok: false,
      level: 'error',
      fix: `run "codex login" as the user safetynet runs as (CODEX_HOME=${codexHome}), or set agents.defaults.cliBackends.codex-cli.env.OPENAI_API_KEY`,
    });
    mkdirSync(codexHome, { recursive: true });
    writeFileSync(path.join(codexHome, 'auth.json'), JSON.stringify({ OPENAI_API_KEY: null, tokens: { id_token: 'x' } }));
    expect(find((await doctor(codex)).checks, 'codex-cli/gpt-5', 'login')).toMatchObject({ ok: true });
  });

  it('gemini: "looks logged in" from an auth env variable or settings.json selectedType; a base URL needs selectedType', async () => {
    const home = await tempFolder();
    const gemini = (env: Record<string, string>): SafetynetConfigFile => ({
      agents: {
        defaults: { model: 'gemini-cli/flash', cliBackends: { 'gemini-cli': { command: FAKE_CLI, env: { HOME: home, ...env } } } },
      },
    });
    const login = async (env: Record<string, string>) => find((await doctor(gemini(env))).checks, 'gemini-cli/flash', 'login');
    const settings = path.join(home, '.gemini', 'settings.json');
    expect(await login({})).toMatchObject({
      ok: false,
      level: 'error',
      problem: `gemini does not look logged in: no GEMINI_API_KEY/GOOGLE_GENAI_USE_VERTEXAI/GOOGLE_GENAI_USE_GCA in its environment, no security.auth.selectedType in ${settings}`,
      fix: `run "gemini" once and choose how to log in as the user safetynet runs as (HOME=${home}), or set agents.defaults.cliBackends.gemini-cli.env.GEMINI_API_KEY`,
    });
    expect(await login({ GEMINI_API_KEY: 'g-key-0000' })).toMatchObject({
      ok: true,
      detail: 'looks logged in: GEMINI_API_KEY is set in its environment',
    });
    // fixture gemini/settings-without-auth-type: with a base URL, the key alone is refused
    expect(await login({ GEMINI_API_KEY: 'g-key-0000', GOOGLE_GEMINI_BASE_URL: 'http://127.0.0.1:9' })).toMatchObject({
      ok: false,
      fix: `set security.auth.selectedType (e.g. "gemini-api-key") in ${settings}`,
    });
    mkdirSync(path.dirname(settings), { recursive: true });
    writeFileSync(settings, JSON.stringify({ security: { auth: { selectedType: 'oauth-personal' } } }));
    expect(await login({})).toMatchObject({ ok: false, problem: expect.stringContaining('oauth_creds.json does not exist') });
    writeFileSync(path.join(home, '.gemini', 'oauth_creds.json'), '{}');
    expect(await login({})).toMatchObject({ ok: true });
    // gemini runs as root: no root check for it
    expect(find((await doctor(gemini({}), { uid: 0 })).checks, 'gemini-cli/flash', 'root')).toBeUndefined();
  });

  it('API providers: a built-in without a key is an error, a custom one without a key a warning', async () => {
    const report = await doctor({
      models: {
        providers: {
          local: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:9/v1' },
          keyed: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-keyed-0000' },
        },
      },
      agents: { defaults: { model: { primary: 'anthropic/claude-opus-4-6', fallbacks: ['local/m', 'keyed/m', 'nobody/m'] } } },
    });
    expect(find(report.checks, 'anthropic/claude-opus-4-6', 'api-key')).toMatchObject({
      ok: false,
      level: 'error',
      fix: 'set ANTHROPIC_API_KEY or models.providers.anthropic.apiKey',
    });
    expect(find(report.checks, 'local/m', 'api-key')).toMatchObject({ ok: false, level: 'warning' });
    expect(find(report.checks, 'keyed/m', 'api-key')).toMatchObject({ ok: true });
    expect(find(report.checks, 'nobody/m', 'provider')).toMatchObject({ ok: false, level: 'error', problem: 'unknown provider "nobody"' });
    expect(JSON.stringify(report)).not.toContain('sk-keyed-0000');
  });

  it('an apiKey naming an unset variable: doctor says the variable is unset, not "no API key configured"', async () => {
    const report = await doctor({
      models: { providers: { local: { api: 'openai-completions', baseUrl: 'http://127.0.0.1:9/v1', apiKey: '${LOCAL_KEY}' } } },
      agents: { defaults: { model: 'local/m' } },
    });
    const check = find(report.checks, 'local/m', 'api-key');
    expect(check).toMatchObject({
      ok: false,
      level: 'error',
      problem: 'models.providers.local.apiKey names the environment variable LOCAL_KEY, which is not set',
      fix: 'set the variable, or remove the apiKey',
    });
    expect(JSON.stringify(check)).not.toContain('no API key configured');
  });

  it('without a configured model, the built-in backends are the candidates', async () => {
    const report = await doctor({});
    expect(report.candidates).toEqual(['claude-cli/*', 'codex-cli/*', 'gemini-cli/*']);
    expect(report.config).toBe('<inline>');
  });

  it('a state folder locked by another process is an error with its fix (one attempt, no retry)', async () => {
    const dir = await tempFolder();
    const location = path.join(dir, 'state');
    const holder = await holdLock(location);
    const config = await loadConfig({ inline: { agents: { defaults: { model: 'fake/m', cliBackends: { fake } } } }, env: ENV });
    const report = await runDoctor({ config, storeLocation: location, env: ENV, uid: 1000 });
    expect(find(report.checks, 'state', 'store')).toMatchObject({
      ok: false,
      level: 'error',
      problem: `${location} is locked by another process`,
      fix: 'wait for the other safetynet process to finish (or stop it), or point SAFETYNET_HOME elsewhere',
    });
    expect(report.ok).toBe(false);
    await holder.release();
    const after = await runDoctor({ config, storeLocation: location, env: ENV, uid: 1000 });
    expect(find(after.checks, 'state', 'store')).toMatchObject({ ok: true });
  });

  it('active cooldowns are warnings with their end; expired ones are not listed', async () => {
    const dir = await tempFolder();
    const location = path.join(dir, 'state');
    const now = Date.now();
    const cooldowns = new CooldownStore({ location });
    await cooldowns.recordFailure({
      ref: 'fake/m',
      provider: 'fake',
      failure: { reason: 'rate_limit', message: '429', retryAfterMs: 600_000 },
      now,
    });
    await cooldowns.recordFailure({
      ref: 'other/x',
      provider: 'other',
      failure: { reason: 'overloaded', message: '529', retryAfterMs: 1_000 },
      now: now - 60_000,
    });
    const config = await loadConfig({ inline: { agents: { defaults: { model: 'fake/m', cliBackends: { fake } } } }, env: ENV });
    const report = await runDoctor({ config, storeLocation: location, env: ENV, uid: 1000, now });
    const cooling = find(report.checks, 'fake/m', 'cooldown');
    expect(cooling).toMatchObject({ ok: false, level: 'warning' });
    expect(cooling!.problem).toContain(`until ${new Date(now + 600_000).toISOString()} (in 10m 0s)`);
    expect(report.checks.filter((check) => check.check === 'cooldown')).toHaveLength(1);
    expect(report.ok).toBe(true); // a cooling candidate still runs (the one ending first is tried)
  });
});
