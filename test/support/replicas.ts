/**
 * N `safetynet serve` replicas as real child processes (the compiled `bin/safetynet.js serve`, the
 * way an operator runs them behind a load balancer): each on a free loopback port (`--port 0`, the
 * URL read from its banner), with its own `SAFETYNET_HOME` and working directory, its own
 * `SAFETYNET_HOST_ID=replica-<i>`, and one shared config file (typically with
 * `safetynet.store: { kind: 'redis', url, keyPrefix }`). Started when each answers `/readyz` with 200.
 *
 * Everything is bounded: the start, each wait for an exit, the stop (SIGTERM, then SIGKILL). Every
 * replica and every process it spawned carries `SAFETYNET_REPLICA_SET=<folder>` in its environment,
 * so `stop()` also kills (by pid) what a `kill -9`ed replica left behind. A last-resort exit hook
 * kills replicas still running when the test process ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { livePidsWithEnv, waitUntilNoProcessWithEnv } from './processes.js';

/** The command's entry, as `npx safetynet` runs it (runs the command's bundle `dist/bundle/`). */
export const SAFETYNET_BIN = path.resolve(import.meta.dirname, '../../bin/safetynet.js');

/** Longest wait for one replica's banner and then its `/readyz` 200, in ms. */
const START_TIMEOUT_MS = 20_000;
/** Longest wait for a signalled replica to exit before it gets SIGKILL, in ms. */
const EXIT_TIMEOUT_MS = 10_000;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Options of {@link startReplicas}. */
export interface ReplicaOptions {
  /** How many replicas. @default 3 */
  count?: number;
  /**
   * The shared config (written once as JSON5). `safetynet.serve.drainSeconds` defaults to 1 here,
   * so a stop never waits 30 s for a hung request.
   */
  config: Record<string, unknown>;
  /** Extra environment of every replica (e.g. `SAFETYNET_REDIS_URL`). */
  env?: Record<string, string>;
  /** Extra `safetynet serve` flags (e.g. `--verbose`). */
  args?: string[];
}

/** One running replica. */
export interface Replica {
  /** 0-based place in the set. */
  readonly index: number;
  /** `replica-<index>`: its `SAFETYNET_HOST_ID`. */
  readonly hostId: string;
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** Its `SAFETYNET_HOME`. */
  readonly home: string;
  /** Its working directory (where new CLI sessions are created). */
  readonly cwd: string;
  /** Everything it printed on stderr so far. */
  stderr(): string;
  /** Whether it has exited. */
  exited(): boolean;
}

/** A started set of replicas; call {@link ReplicaSet.stop} in `afterEach`/`afterAll`. */
export interface ReplicaSet {
  /** The folder holding the config, every home and working directory. */
  readonly dir: string;
  /** The shared config file. */
  readonly configFile: string;
  /** `SAFETYNET_REPLICA_SET=<dir>`: in the environment of every replica and of every process it spawns. */
  readonly marker: string;
  readonly replicas: readonly Replica[];
  /** The base URL of each replica, by index. */
  readonly urls: readonly string[];
  /** Replica `i mod count`: for round-robin over the set. */
  at(i: number): Replica;
  /**
   * Send `signal` to replica `index` and wait (bounded) until it exits; a replica still running
   * after the bound gets SIGKILL. Resolves with its exit code or signal.
   */
  kill(index: number, signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /**
   * The environment to run another `safetynet` command (e.g. `sessions show`) on the same config:
   * a fresh `SAFETYNET_HOME` under the set's folder, plus the set's extra environment.
   */
  commandEnv(): Record<string, string>;
  /** Stop every replica (SIGTERM, bounded, then SIGKILL), kill what they left, remove the folder. */
  stop(): Promise<void>;
}

function exitOf(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
}

/** Signal `child`, wait up to {@link EXIT_TIMEOUT_MS}, then SIGKILL it. */
async function stopChild(child: ChildProcess, signal: NodeJS.Signals) {
  const exited = exitOf(child);
  if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), EXIT_TIMEOUT_MS);
  });
  const first = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (first !== 'late') return first;
  child.kill('SIGKILL');
  return exited;
}

/** Poll `url/readyz` (bounded) until it answers 200; the last status or error otherwise. */
export async function waitReady(url: string, attempts = 200, intervalMs = 50): Promise<true | string> {
  let last = 'no answer';
  for (let i = 0; i < attempts; i++) {
    try {
      const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5_000) });
      const body = await response.text();
      if (response.status === 200) return true;
      last = `${response.status} ${body}`;
    } catch (error) {
      last = String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return last;
}

/** Start one replica; resolves with its URL once its banner is printed (bounded). */
function launch(index: number, configFile: string, dir: string, marker: string, options: ReplicaOptions) {
  const home = path.join(dir, `home-${index}`);
  const cwd = path.join(dir, `work-${index}`);
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['SAFETYNET_CONFIG'];
  delete env['SAFETYNET_REDIS_URL'];
  delete env['SAFETYNET_HOST_ID'];
  const [name, value] = marker.split('=') as [string, string];
  const child = spawn(process.execPath, [SAFETYNET_BIN, 'serve', '--port', '0', '--config', configFile, ...(options.args ?? [])], {
    cwd,
    env: { ...env, SAFETYNET_HOME: home, SAFETYNET_HOST_ID: `replica-${index}`, [name]: value, ...options.env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`replica-${index} printed no banner within ${START_TIMEOUT_MS} ms: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    const onData = () => {
      const match = /safetynet serve listening on (http:\/\/\S+) /.exec(stderr);
      if (match === null) return;
      clearTimeout(timer);
      child.stderr?.off('data', onData);
      resolve(match[1]!);
    };
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`replica-${index} exited (${code ?? signal}) before its banner: ${stderr}`));
    });
  });
  return { child, home, cwd, url, stderr: () => stderr };
}

/** `safetynet.serve.drainSeconds` 1 unless the config sets it. */
function withShortDrain(config: Record<string, unknown>): Record<string, unknown> {
  const safetynet = (config['safetynet'] ?? {}) as Record<string, unknown>;
  const serve = (safetynet['serve'] ?? {}) as Record<string, unknown>;
  return { ...config, safetynet: { ...safetynet, serve: { drainSeconds: 1, ...serve } } };
}

/**
 * Start `count` replicas on one config and wait until each answers `/readyz` with 200 (bounded).
 * @throws Error naming the replica and its stderr when one does not start or never gets ready
 *   (the replicas already started are stopped first).
 */
export async function startReplicas(options: ReplicaOptions): Promise<ReplicaSet> {
  const count = options.count ?? 3;
  const dir = await mkdtemp(path.join(tmpdir(), 'safetynet-replicas-'));
  const marker = `SAFETYNET_REPLICA_SET=${dir}`;
  const configFile = path.join(dir, 'config.json5');
  await writeFile(configFile, `${JSON.stringify(withShortDrain(options.config), null, 2)}\n`);
  await Promise.all(
    Array.from({ length: count }, (_, i) => [mkdir(path.join(dir, `home-${i}`)), mkdir(path.join(dir, `work-${i}`))]).flat(),
  );
  const launched = Array.from({ length: count }, (_, i) => launch(i, configFile, dir, marker, options));
  let commands = 0;

  const stop = async () => {
    await Promise.all(launched.map(({ child }) => stopChild(child, 'SIGTERM')));
    for (const pid of await livePidsWithEnv(marker)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await waitUntilNoProcessWithEnv(marker, 20, 50);
    await rm(dir, { recursive: true, force: true });
  };

  let replicas: Replica[];
  try {
    const urls = await Promise.all(launched.map((one) => one.url));
    replicas = launched.map((one, index) => ({
      index,
      hostId: `replica-${index}`,
      url: urls[index]!,
      pid: one.child.pid ?? -1,
      home: one.home,
      cwd: one.cwd,
      stderr: one.stderr,
      exited: () => one.child.exitCode !== null || one.child.signalCode !== null,
    }));
    for (const replica of replicas) {
      const ready = await waitReady(replica.url);
      if (ready !== true)
        throw new Error(`${replica.hostId} never answered /readyz with 200 (last: ${ready}); stderr: ${replica.stderr()}`);
    }
  } catch (error) {
    await stop();
    throw error;
  }

  return {
    dir,
    configFile,
    marker,
    replicas,
    urls: replicas.map((replica) => replica.url),
    at: (i) => replicas[((i % count) + count) % count]!,
    kill: (index, signal = 'SIGTERM') => stopChild(launched[index]!.child, signal),
    commandEnv: () => {
      commands += 1;
      const [name, value] = marker.split('=') as [string, string];
      return { SAFETYNET_HOME: path.join(dir, `command-home-${commands}`), [name]: value, ...options.env };
    },
    stop,
  };
}
