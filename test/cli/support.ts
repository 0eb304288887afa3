/**
 * Running the real `safetynet` command (`node bin/safetynet.js`, which imports the command's
 * bundle `dist/bundle/main.js`) the way a user does, against the fixture CLI configured as a custom backend
 * in a temp JSON5 config. Every test gets its own temp folder holding `SAFETYNET_HOME`, the config,
 * the fixture CLI's state and the working directory; nothing touches `~/.safetynet`.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { livePidsWithEnv, waitUntilNoProcessWithEnv } from '../support/processes.js';
import { FAKE_CLI, fakeCliEntry } from '../support/fake-cli.js';

export const REPO = path.resolve(import.meta.dirname, '../..');
/** The command's entry, as `npx safetynet` runs it. */
export const BIN = path.join(REPO, 'bin/safetynet.js');
export { FAKE_CLI };
export const STUBBORN_CLI = path.join(import.meta.dirname, 'fixtures/stubborn-cli.mjs');
export const PIXEL_PNG = path.join(REPO, 'test/fixtures/pixel.png');

/** Upper bound of one `safetynet` run in these tests (the command gets SIGTERM past it). */
export const RUN_TIMEOUT_MS = 30_000;

const folders: string[] = [];
const markers: string[] = [];

/** One test's sandbox. */
export interface Sandbox {
  root: string;
  /** `SAFETYNET_HOME` of the command. */
  home: string;
  /** Working directory the command runs in (new CLI sessions are created here). */
  cwd: string;
  /** The fixture CLI's state folder (`FAKE_CLI_STATE`). */
  fakeState: string;
  /** `FAKE_CLI_STATE=<fakeState>`: found in the environment of every fixture CLI process (and nowhere else). */
  marker: string;
}

/** A fresh sandbox, removed by {@link cleanup}. */
export async function sandbox(): Promise<Sandbox> {
  const root = await mkdtemp(path.join(tmpdir(), 'safetynet-cli-'));
  folders.push(root);
  const home = path.join(root, 'home');
  const cwd = path.join(root, 'work');
  const fakeState = path.join(root, 'fake-cli');
  await Promise.all([mkdir(home), mkdir(cwd), mkdir(fakeState)]);
  const marker = `FAKE_CLI_STATE=${fakeState}`;
  markers.push(marker);
  return { root, home, cwd, fakeState, marker };
}

/** A second fixture-CLI state folder inside the sandbox (its processes are tracked like the first). */
export async function extraFakeState(box: Pick<Sandbox, 'root'>, name: string): Promise<string> {
  const dir = path.join(box.root, name);
  await mkdir(dir, { recursive: true });
  markers.push(`FAKE_CLI_STATE=${dir}`);
  return dir;
}

/** Remember an env marker whose processes must be gone after the test (killed by {@link cleanup} if not). */
export function trackMarker(marker: string): void {
  markers.push(marker);
}

/**
 * afterEach: kill (by pid) any process a failed test left behind, then remove the temp folders.
 * Only processes carrying a marker of this test's own temp folders are touched.
 */
export async function cleanup(): Promise<void> {
  for (const marker of markers.splice(0)) {
    for (const pid of await livePidsWithEnv(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await waitUntilNoProcessWithEnv(marker, 20, 50);
  }
  await Promise.all(folders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
}

/** A backend entry running the fixture CLI (see test/support/fake-cli.ts). */
export function fakeBackend(fakeState: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...fakeCliEntry(fakeState, overrides) };
}

/** `{ agents: { defaults: { ...defaults, cliBackends } } }` */
export function configWith(cliBackends: Record<string, unknown>, defaults: Record<string, unknown> = {}): unknown {
  return { agents: { defaults: { ...defaults, cliBackends } } };
}

/** Write `value` as a config file (JSON is JSON5) and return its path; raw text is written as is. */
export function writeConfig(file: string, value: unknown): string {
  writeFileSync(file, typeof value === 'string' ? value : `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

/** A sandbox with `<root>/config.json5` configuring the fixture CLI as backend `fake`. */
export async function fakeSandbox(defaults: Record<string, unknown> = {}): Promise<Sandbox & { config: string }> {
  const box = await sandbox();
  const config = writeConfig(path.join(box.root, 'config.json5'), configWith({ fake: fakeBackend(box.fakeState) }, defaults));
  return { ...box, config };
}

/** Options of {@link safetynet}. */
export interface RunOptions {
  /** Extra environment (`SAFETYNET_HOME` is always the sandbox's; `SAFETYNET_CONFIG` is unset unless given here). */
  env?: Record<string, string>;
  cwd?: string;
  /** Text written to the command's stdin, which is then closed (default: stdin ignored, i.e. /dev/null). */
  input?: string;
}

function commandEnv(box: Pick<Sandbox, 'home'>, extra: Record<string, string> = {}): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['SAFETYNET_CONFIG'];
  return { ...env, SAFETYNET_HOME: box.home, ...extra };
}

/** Start `safetynet <args>` (stdin ignored unless `options.input`, bounded by {@link RUN_TIMEOUT_MS}); never rejects. */
export function startSafetynet(box: Pick<Sandbox, 'home' | 'cwd'>, args: string[], options: RunOptions = {}) {
  return execa(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? box.cwd,
    env: commandEnv(box, options.env),
    extendEnv: false,
    ...(options.input === undefined ? { stdin: 'ignore' as const } : { input: options.input }),
    reject: false,
    timeout: RUN_TIMEOUT_MS,
    forceKillAfterDelay: 5_000,
  });
}

/** Run `safetynet <args>` to the end: `{ exitCode, stdout, stderr }` (stdout/stderr without the final newline). */
export async function safetynet(box: Pick<Sandbox, 'home' | 'cwd'>, args: string[], options: RunOptions = {}) {
  const result = await startSafetynet(box, args, options);
  return {
    exitCode: result.exitCode,
    signal: result.signal,
    stdout: String(result.stdout),
    stderr: String(result.stderr),
    timedOut: result.timedOut,
  };
}

/** Run one `safetynet agent --message <message> --session <key> --json` turn on the fixture CLI backend `fake`. */
export function agentTurn(box: Sandbox & { config: string }, message: string, session: string) {
  return safetynet(box, ['agent', '--message', message, '--model', 'fake/default', '--session', session, '--config', box.config, '--json']);
}

/** What the fixture CLI received on its last call. */
export interface LastCall {
  argv: string[];
  prompt: string;
  system: string;
  images: number;
}

export function lastCall(fakeState: string): LastCall {
  return JSON.parse(readFileSync(path.join(fakeState, 'last-call.json'), 'utf8')) as LastCall;
}

/** Make the fixture CLI's next calls behave as `modes` (the last one repeats). */
export function setModes(fakeState: string, modes: Array<'ok' | 'auth' | 'hang' | 'empty'>): void {
  writeFileSync(path.join(fakeState, 'modes.json'), JSON.stringify(modes));
}

/** The session ids the fixture CLI has stored (`sessions/<id>.json`). */
export async function fakeSessions(fakeState: string): Promise<string[]> {
  return (await readdir(path.join(fakeState, 'sessions')).catch(() => [])).map((name) => name.replace(/\.json$/, '')).sort();
}

/** Poll (bounded) until `file` exists; true when it appeared. */
export async function waitForFile(file: string, attempts = 200, intervalMs = 50): Promise<boolean> {
  for (let i = 0; i < attempts; i++) {
    if (existsSync(file)) return true;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return false;
}

/** Poll (bounded) until the fixture CLI recorded a call (its `last-call.json`), then return it. */
export async function waitForCall(fakeState: string): Promise<LastCall> {
  const file = path.join(fakeState, 'last-call.json');
  if (!(await waitForFile(file))) throw new Error(`the fixture CLI never ran (${file} missing)`);
  for (let i = 0; i < 20; i++) {
    try {
      return JSON.parse(await readFile(file, 'utf8')) as LastCall;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 25)); // caught mid-write
    }
  }
  throw new Error(`${file} stayed unreadable`);
}

/**
 * Poll (bounded) until the fixture CLI in `hang` mode is hanging: it and its grandchild (same
 * process group) both run, so its modes file was already consumed.
 */
export async function waitForHangingCli(marker: string): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if ((await livePidsWithEnv(marker)).length >= 2) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return false;
}

/** The value after `flag` in argv, or undefined. */
export function flagValue(argv: readonly string[], flag: string): string | undefined {
  const at = argv.indexOf(flag);
  return at === -1 ? undefined : argv[at + 1];
}
