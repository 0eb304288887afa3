/**
 * `safetynet doctor`'s checks of one CLI backend: the command is found (and its version), Claude's
 * root refusal of `--dangerously-skip-permissions` (gemini runs as root: no check), and whether the
 * CLI looks logged in. Heuristic
 * where the CLIs keep their state to themselves: messages say "looks".
 *
 * Rationale: `docs/cli-contracts.md#root-refusal` (the root refusal and `IS_SANDBOX=1`); where
 * Claude and Codex keep their credentials is listed in the README's "Doctor" section.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { basename, delimiter, join, resolve } from 'node:path';
import { buildCliEnv } from '../actors/cli/env.js';
import { runCliProcess } from '../actors/cli/process.js';
import { userHome } from '../config/home.js';
import { isRecord } from '../config/json-record.js';
import type { ResolvedCliBackend } from '../config/types.js';
import {
  effectiveUid,
  ROOT_REFUSAL_TEXT,
  rootRefusalFix,
  SKIP_PERMISSIONS_FLAG,
  sandboxLifted,
  sandboxState,
} from '../failover/root-refusal.js';
import { geminiLoginCheck } from './gemini-login.js';
import type { DoctorCheck } from './types.js';

/** Options of {@link checkCliBackend}. */
export interface CliCheckOptions {
  /** The inherited environment the child env is built from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The effective uid. @default process.getuid?.() */
  uid?: number | undefined;
  /** Deadline of each probe (`--version`, the root probe), ms. @default 5000 */
  probeTimeoutMs?: number;
  /** Where a relative `command` is resolved and probes run. @default process.cwd() */
  cwd?: string;
}

type Result = Omit<DoctorCheck, 'candidate'>;

/** Which well-known CLI a backend runs (by id or command name), for the login heuristics. */
export function cliKind(backend: Pick<ResolvedCliBackend, 'id' | 'command'>): 'claude' | 'codex' | 'gemini' | undefined {
  const name = basename(backend.command)
    .replace(/\.(c?js|mjs|cmd|exe)$/i, '')
    .toLowerCase();
  if (backend.id === 'claude-cli' || name === 'claude') return 'claude';
  if (backend.id === 'codex-cli' || name === 'codex') return 'codex';
  if (backend.id === 'gemini-cli' || name === 'gemini') return 'gemini';
  return undefined;
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (info) => info.isFile(),
    () => false,
  );
}

/**
 * Find `command` as the child process would: an absolute or relative path (with a `/`) as is,
 * otherwise the first match on the child environment's `PATH`.
 *
 * @returns the path and whether it is executable, or `undefined` when nothing was found.
 */
export async function findCommand(
  command: string,
  env: Record<string, string | undefined>,
  cwd: string,
): Promise<{ path: string; executable: boolean } | undefined> {
  const candidates = command.includes('/')
    ? [resolve(cwd, command)]
    : (env['PATH'] ?? '')
        .split(delimiter)
        .filter((dir) => dir !== '')
        .map((dir) => join(dir, command));
  let found: { path: string; executable: boolean } | undefined;
  for (const path of candidates) {
    if (!(await isFile(path))) continue;
    const executable = await access(path, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (executable) return { path, executable };
    found ??= { path, executable };
  }
  return found;
}

/** Run `command argv…` with stdin at /dev/null, bounded by `timeoutMs` (the whole process group is killed past it). */
async function probe(command: string, argv: string[], env: Record<string, string>, cwd: string, timeoutMs: number) {
  const plan = {
    command,
    argv,
    stdin: undefined,
    env,
    cwd,
    resume: false,
    sessionIdSent: undefined,
    newSession: true,
    parseMode: 'text' as const,
    noOutputTimeoutMs: timeoutMs,
    continuation: 'new' as const,
    historyTurns: 0,
  };
  return runCliProcess(plan, { deadlineMs: timeoutMs, forceKillAfterMs: 500, maxStdoutBytes: 64 * 1024, stderrTailBytes: 8 * 1024 });
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((line) => line.trim())
      .find((line) => line !== '') ?? ''
  );
}

/** Every check of one CLI backend, in order: command (with its version), root, login. */
export async function checkCliBackend(backend: ResolvedCliBackend, options: CliCheckOptions = {}): Promise<Result[]> {
  const env = buildCliEnv(backend, options.env ?? process.env);
  const cwd = options.cwd ?? process.cwd();
  const timeoutMs = options.probeTimeoutMs ?? 5000;
  const key = `agents.defaults.cliBackends.${backend.id}`;
  const results: Result[] = [];
  const found = await findCommand(backend.command, env, cwd);
  if (found === undefined) {
    const where = backend.command.includes('/') ? 'does not exist' : 'is not on the PATH of its environment';
    results.push({
      check: 'command',
      ok: false,
      level: 'error',
      problem: `command "${backend.command}" not found: it ${where}`,
      fix: `install it, or set ${key}.command to its full path`,
    });
    return results;
  }
  if (!found.executable) {
    results.push({
      check: 'command',
      ok: false,
      level: 'error',
      problem: `command ${found.path} is not executable`,
      fix: `chmod +x ${found.path}, or set ${key}.command to an executable`,
    });
    return results;
  }
  results.push(await versionCheck(found.path, env, cwd, timeoutMs, key));
  const root = await rootCheck(backend, found.path, env, cwd, timeoutMs, options);
  if (root !== undefined) results.push(root);
  const login = await loginCheck(backend, env, key);
  if (login !== undefined) results.push(login);
  return results;
}

async function versionCheck(path: string, env: Record<string, string>, cwd: string, timeoutMs: number, key: string): Promise<Result> {
  try {
    const run = await probe(path, ['--version'], env, cwd, timeoutMs);
    const version = firstLine(run.stdout) || firstLine(run.stderr);
    if (run.exitCode === 0) return { check: 'command', ok: true, detail: `${path}${version === '' ? '' : ` (${version})`}` };
    return {
      check: 'command',
      ok: false,
      level: 'warning',
      detail: path,
      problem: `"${path} --version" exited ${run.exitCode ?? run.signal ?? '?'}${version === '' ? '' : `: ${version}`}`,
      fix: `check that ${path} is the CLI you meant (${key}.command)`,
    };
  } catch (error) {
    return {
      check: 'command',
      ok: false,
      level: 'warning',
      detail: path,
      problem: `"${path} --version" failed: ${error instanceof Error ? error.message : String(error)}`,
      fix: `run "${path} --version" yourself to see why`,
    };
  }
}

/**
 * Claude refuses `--dangerously-skip-permissions` as root unless `IS_SANDBOX=1` is in its
 * environment, and safetynet's preflight refuses such a run up front. When the refusal is expected,
 * the CLI is run with its base args and no prompt (stdin /dev/null) to quote its own line.
 */
async function rootCheck(
  backend: ResolvedCliBackend,
  path: string,
  env: Record<string, string>,
  cwd: string,
  timeoutMs: number,
  options: CliCheckOptions,
): Promise<Result | undefined> {
  const uid = effectiveUid(options);
  const flagged = backend.args.includes(SKIP_PERMISSIONS_FLAG) || backend.resumeArgs.includes(SKIP_PERMISSIONS_FLAG);
  if (!flagged) return undefined;
  if (uid !== 0) return { check: 'root', ok: true, detail: `not running as root: ${SKIP_PERMISSIONS_FLAG} is accepted` };
  if (sandboxLifted(env))
    return { check: 'root', ok: true, detail: `running as root with IS_SANDBOX=1: ${SKIP_PERMISSIONS_FLAG} is accepted` };
  let said = '';
  try {
    const run = await probe(path, backend.args, env, cwd, timeoutMs);
    said =
      `${run.stdout}\n${run.stderr}`
        .split('\n')
        .find((line) => ROOT_REFUSAL_TEXT.test(line))
        ?.trim() ?? '';
  } catch {
    // the probe only adds the CLI's own words; the refusal stands without them
  }
  return {
    check: 'root',
    ok: false,
    level: 'error',
    problem:
      `running as root with ${SKIP_PERMISSIONS_FLAG} and ${sandboxState(env)}: ` +
      `${basename(backend.command)} refuses to run${said === '' ? '' : ` ("${said}")`}`,
    fix: rootRefusalFix(backend.id),
  };
}

async function readJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(path, 'utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Does the CLI look logged in (or have its API key)? Only for Claude, Codex and Gemini (`./gemini-login.ts`); other CLIs are not checked. */
async function loginCheck(backend: ResolvedCliBackend, env: Record<string, string>, key: string): Promise<Result | undefined> {
  const kind = cliKind(backend);
  if (kind === undefined) return undefined;
  const home = userHome(env);
  if (kind === 'gemini') return geminiLoginCheck(env, home, key);
  const keyVars =
    kind === 'claude' ? ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN'] : ['OPENAI_API_KEY', 'CODEX_API_KEY'];
  const set = keyVars.find((name) => (env[name] ?? '') !== '');
  if (set !== undefined) return { check: 'login', ok: true, detail: `looks logged in: ${set} is set in its environment` };
  if (kind === 'claude') {
    const configDir = env['CLAUDE_CONFIG_DIR'] ?? join(home, '.claude');
    const credentials = join(configDir, '.credentials.json');
    if (await isFile(credentials)) return { check: 'login', ok: true, detail: `looks logged in: ${credentials}` };
    const state = join(env['CLAUDE_CONFIG_DIR'] ?? home, '.claude.json');
    const account = (await readJson(state))?.['oauthAccount'];
    if (isRecord(account)) return { check: 'login', ok: true, detail: `looks logged in: oauthAccount in ${state}` };
    return {
      check: 'login',
      ok: false,
      level: 'error',
      problem:
        `claude does not look logged in: no ${keyVars.join('/')} in its environment` +
        `${backend.clearEnv.includes('ANTHROPIC_API_KEY') ? ' (clearEnv removes ANTHROPIC_API_KEY)' : ''}, ` +
        `no ${credentials}, no oauthAccount in ${state}`,
      fix: `run "claude" then /login as the user safetynet runs as (HOME=${home}), or set ${key}.env.ANTHROPIC_API_KEY`,
    };
  }
  const codexHome = env['CODEX_HOME'] ?? join(home, '.codex');
  const auth = await readJson(join(codexHome, 'auth.json'));
  if (auth !== undefined && (auth['tokens'] != null || (typeof auth['OPENAI_API_KEY'] === 'string' && auth['OPENAI_API_KEY'] !== ''))) {
    return { check: 'login', ok: true, detail: `looks logged in: ${join(codexHome, 'auth.json')}` };
  }
  const toml = await readFile(join(codexHome, 'config.toml'), 'utf8').catch(() => '');
  const envKey = [...toml.matchAll(/^\s*env_key\s*=\s*"([^"]+)"/gm)].map((match) => match[1]!).find((name) => (env[name] ?? '') !== '');
  if (envKey !== undefined)
    return {
      check: 'login',
      ok: true,
      detail: `looks logged in: a provider of ${join(codexHome, 'config.toml')} reads ${envKey}, which is set`,
    };
  return {
    check: 'login',
    ok: false,
    level: 'error',
    problem: `codex does not look logged in: no ${keyVars.join('/')} in its environment, no credentials in ${join(codexHome, 'auth.json')}`,
    fix: `run "codex login" as the user safetynet runs as (CODEX_HOME=${codexHome}), or set ${key}.env.OPENAI_API_KEY`,
  };
}
