/**
 * Helpers that run the REAL `claude` (Claude Code), `codex` (Codex) and `gemini` (Gemini CLI) binaries from the repo's
 * `node_modules/.bin` in an isolated, loopback-only environment pointed at a stub server
 * ({@link startStubServer}). See `/work/shared/notes/real-clis.md` §4 and §11.
 *
 * The environments returned here are COMPLETE: spawn with `extendEnv: false` (execa) or pass them as
 * the whole `env` so nothing from the developer's machine (real API keys, real HOME) leaks in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

/** The repository root (two levels above this file). */
export const repoRoot: string = fileURLToPath(new URL('../..', import.meta.url));

/** The npm-installed Claude Code binary (`@anthropic-ai/claude-code` devDependency). */
export const claudeBin: string = join(repoRoot, 'node_modules', '.bin', 'claude');

/** The npm-installed Codex launcher (`@openai/codex` devDependency; a Node script). */
export const codexBin: string = join(repoRoot, 'node_modules', '.bin', 'codex');

/** The npm-installed Gemini CLI (`@google/gemini-cli` devDependency; a Node bundle that relaunches itself). */
export const geminiBin: string = join(repoRoot, 'node_modules', '.bin', 'gemini');

/**
 * Per-test timeout of tests that run the real CLI binaries, in ms: 180 s. A test of several gemini
 * turns took 57 s on a loaded machine (2 cores, load 9; gemini alone needs 1.3-3 s to start), too
 * close to vitest's 60 s default. Hangs are not hidden by it: every run in these tests is bounded by
 * its own attempt deadline and no-output watchdog, and the hang and abort tests keep
 * {@link HANG_TEST_TIMEOUT_MS}.
 */
export const REAL_CLI_TEST_TIMEOUT_MS = 180_000;

/** Per-test timeout of the hang and abort tests, in ms (vitest's default, 60 s): their runs end by a 1.5 s deadline or an abort. */
export const HANG_TEST_TIMEOUT_MS = 60_000;

/** The API key given to the child processes (never a real key). */
export const STUB_API_KEY = 'sk-stub-loopback-key';

/** The model `codexStubEnv` configures. */
export const CODEX_STUB_MODEL = 'gpt-5.3-codex';

/** A minimal PATH: the running node's directory (Codex's launcher is `#!/usr/bin/env node`) + system dirs. */
export function childPath(): string {
  return `${dirname(process.execPath)}:/usr/local/bin:/usr/bin:/bin`;
}

/** Anything with the stub's base URL. */
export interface StubLike {
  /** `http://127.0.0.1:PORT` */
  url: string;
}

/**
 * The complete environment for a `claude` child talking to `stub`, with `dir` as its HOME (the
 * transcripts go to `<dir>/.claude/projects/<cwd-slug>/`). `IS_SANDBOX=1` is always set because
 * the tests run as root (claude refuses `--dangerously-skip-permissions` as root otherwise);
 * `CLAUDE_CODE_MAX_RETRIES=1` keeps failing runs short. `extra` entries are added last.
 */
export function claudeStubEnv(stub: StubLike, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: dir,
    PATH: childPath(),
    LANG: 'C.UTF-8',
    ANTHROPIC_BASE_URL: stub.url,
    ANTHROPIC_API_KEY: 'sk-stub-anthropic-loopback-key',
    IS_SANDBOX: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_ERROR_REPORTING: '1',
    CLAUDE_CODE_MAX_RETRIES: '1',
    ...extra,
  };
}

/** Knobs of the Codex stub provider written by {@link codexStubEnv}. */
export interface CodexStubOptions {
  /** Default {@link CODEX_STUB_MODEL}. */
  model?: string;
  /** Default 1. */
  requestMaxRetries?: number;
  /** Default 1. */
  streamMaxRetries?: number;
  /** Default 5000. */
  streamIdleTimeoutMs?: number;
}

/** The environment {@link codexStubEnv} returns. */
export interface CodexStubEnv {
  HOME: string;
  CODEX_HOME: string;
  STUB_OPENAI_API_KEY: string;
  PATH: string;
  LANG: string;
  [key: string]: string;
}

/**
 * `config.toml` lines that keep codex 0.169 off the network apart from the stub (checked with
 * `strace -f -e trace=connect,sendto,execve` on `codex exec`): without them every spawn resolves
 * `github.com` and `api.github.com` (a `git ls-remote https://github.com/openai/plugins.git` and the
 * plugin marketplace sync), `chatgpt.com` (remote plugins) and `ab.chatgpt.com` (OTLP metrics to
 * `https://ab.chatgpt.com/otlp/v1/metrics`); where DNS is unreachable each lookup waits out the
 * resolver timeout. `features.plugins = false` stops the first three, `analytics.enabled = false`
 * and `otel.metrics_exporter = "none"` each stop the metrics export (both are set).
 */
export const CODEX_OFFLINE_TOML: readonly string[] = [
  '[features]',
  'plugins = false',
  '',
  '[analytics]',
  'enabled = false',
  '',
  '[otel]',
  'metrics_exporter = "none"',
];

/**
 * Writes `<dir>/.codex/config.toml` selecting a custom Responses-API provider `stub` at
 * `<stub.url>/v1` (few retries, 5 s stream idle timeout), with no other network use
 * ({@link CODEX_OFFLINE_TOML}), and returns the complete environment for a
 * `codex` child: `HOME=<dir>`, `CODEX_HOME=<dir>/.codex`, the provider key, PATH and LANG.
 * Codex's sessions (rollouts) are stored under `<dir>/.codex/sessions/`.
 */
export function codexStubEnv(stub: StubLike, dir: string, options: CodexStubOptions = {}): CodexStubEnv {
  const codexHome = join(dir, '.codex');
  mkdirSync(codexHome, { recursive: true });
  const toml = [
    `model = ${JSON.stringify(options.model ?? CODEX_STUB_MODEL)}`,
    'model_provider = "stub"',
    '',
    ...CODEX_OFFLINE_TOML,
    '',
    '[model_providers.stub]',
    'name = "Loopback stub"',
    `base_url = ${JSON.stringify(`${stub.url}/v1`)}`,
    'env_key = "STUB_OPENAI_API_KEY"',
    'wire_api = "responses"',
    `request_max_retries = ${options.requestMaxRetries ?? 1}`,
    `stream_max_retries = ${options.streamMaxRetries ?? 1}`,
    `stream_idle_timeout_ms = ${options.streamIdleTimeoutMs ?? 5000}`,
    '',
  ].join('\n');
  writeFileSync(join(codexHome, 'config.toml'), toml);
  return {
    HOME: dir,
    CODEX_HOME: codexHome,
    STUB_OPENAI_API_KEY: STUB_API_KEY,
    PATH: childPath(),
    LANG: 'C.UTF-8',
  };
}

/** The model the Gemini contract runs name (`--model` skips Gemini CLI's router call). */
export const GEMINI_STUB_MODEL = 'gemini-2.5-flash';

/**
 * `<home>/.gemini/settings.json` for a run against the stub: the API-key auth type (with
 * `GOOGLE_GEMINI_BASE_URL` set and no `selectedType`, gemini 0.61 fails `Invalid auth method
 * selected.`, exit 41), and everything that would leave the machine turned off: usage statistics
 * (Clearcut logging to `play.googleapis.com`), telemetry, the update check and its notification.
 */
export const GEMINI_OFFLINE_SETTINGS = {
  security: { auth: { selectedType: 'gemini-api-key' } },
  privacy: { usageStatisticsEnabled: false },
  telemetry: { enabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
} as const;

/**
 * Writes `<dir>/.gemini/settings.json` ({@link GEMINI_OFFLINE_SETTINGS}) and returns the complete
 * environment for a `gemini` child talking to `stub` with `dir` as its HOME: `GEMINI_API_KEY`,
 * `GOOGLE_GEMINI_BASE_URL`, PATH, LANG and `TMPDIR=<dir>/tmp` (gemini drops
 * `gemini-client-error-*.json` reports in the temp dir on API errors). Its sessions go to
 * `<dir>/.gemini/tmp/<project>/chats/`. `extra` entries are added last.
 */
export function geminiStubEnv(stub: StubLike, dir: string, extra: Record<string, string> = {}): Record<string, string> {
  mkdirSync(join(dir, '.gemini'), { recursive: true });
  mkdirSync(join(dir, 'tmp'), { recursive: true });
  writeFileSync(join(dir, '.gemini', 'settings.json'), JSON.stringify(GEMINI_OFFLINE_SETTINGS, null, 2));
  return {
    HOME: dir,
    PATH: childPath(),
    LANG: 'C.UTF-8',
    TMPDIR: join(dir, 'tmp'),
    GEMINI_API_KEY: 'stub-loopback-gemini-key',
    GOOGLE_GEMINI_BASE_URL: stub.url,
    ...extra,
  };
}

/** Creates a fresh empty directory under the OS temp dir. Remove it with {@link removeTempDir}. */
export async function makeTempDir(prefix = 'safetynet-cli-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** Removes a directory made by {@link makeTempDir} (recursive, ignores a missing dir). */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true, maxRetries: 3 });
}

/**
 * A set of temp dirs with one cleanup call, e.g. `const tmp = tempDirs(); afterEach(tmp.cleanup)`.
 */
export function tempDirs(prefix?: string): { make(): Promise<string>; cleanup(): Promise<void> } {
  const made: string[] = [];
  return {
    async make() {
      const dir = await makeTempDir(prefix);
      made.push(dir);
      return dir;
    },
    async cleanup() {
      const dirs = made.splice(0);
      await Promise.all(dirs.map((d) => removeTempDir(d)));
    },
  };
}

/** Options of {@link runCli}. */
export interface RunCliOptions {
  /** The complete child environment (nothing is inherited). */
  env: Record<string, string>;
  cwd: string;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  input?: string;
  /** Hard deadline: SIGTERM to the process group, SIGKILL 2 s later. Default 30 000 ms. */
  timeoutMs?: number;
}

/** What {@link runCli} observed. */
export interface RunCliResult {
  /** The child's pid (= its process group id, since it was spawned detached). */
  pid: number | undefined;
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the deadline fired. */
  timedOut: boolean;
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Runs a real CLI once: its own process group (`detached`), stdin /dev/null or `input` then closed,
 * a complete `env`, a hard deadline that kills the whole group, and a final SIGKILL of the group
 * in `finally` so nothing outlives the call. Never rejects for a non-zero exit.
 */
export async function runCli(bin: string, args: readonly string[], options: RunCliOptions): Promise<RunCliResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const started = Date.now();
  const child = execa(bin, args, {
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
    detached: true,
    reject: false,
    stripFinalNewline: false,
    ...(options.input !== undefined ? { input: options.input } : { stdin: 'ignore' as const }),
  });
  let timedOut = false;
  let forceTimer: NodeJS.Timeout | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    killGroup(child.pid, 'SIGTERM');
    forceTimer = setTimeout(() => killGroup(child.pid, 'SIGKILL'), 2_000);
  }, timeoutMs);
  try {
    const result = await child;
    return {
      pid: child.pid,
      exitCode: result.exitCode,
      signal: result.signal,
      stdout: String(result.stdout ?? ''),
      stderr: String(result.stderr ?? ''),
      durationMs: Date.now() - started,
      timedOut,
    };
  } finally {
    clearTimeout(timer);
    if (forceTimer !== undefined) clearTimeout(forceTimer);
    killGroup(child.pid, 'SIGKILL');
  }
}

/** Parses JSONL stdout (Codex `--json`) into objects, skipping lines that are not JSON. */
export function parseJsonl(stdout: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const line of stdout.split('\n')) {
    const t = line.trim();
    if (t === '') continue;
    try {
      const v: unknown = JSON.parse(t);
      if (typeof v === 'object' && v !== null && !Array.isArray(v)) out.push(v as Record<string, unknown>);
    } catch {
      // not JSON: ignore
    }
  }
  return out;
}
