/**
 * A real `redis-server` (Debian's package; `.ci/run` installs it when missing) on a free loopback
 * port, one per test file: no persistence, its own temp folder, stopped by `stop()` and, as a last
 * resort, when the test process exits. `pause()` / `resume()` stop and restart the same port, for
 * the outage tests. A missing `redis-server` fails the test with what to install.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** Longest wait for a started server to accept connections, in ms. */
const START_TIMEOUT_MS = 10_000;

/** A running test Redis. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>/0` */
  readonly url: string;
  readonly port: number;
  /** Stop the server (SIGKILL: an outage, not a shutdown); `resume()` starts it again on the same port. */
  pause(): Promise<void>;
  /** Start it again on the same port (an empty database: nothing was persisted). */
  resume(): Promise<void>;
  /** Stop it for good and remove its folder. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** A free loopback TCP port (free when asked; the server then takes it). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function launch(port: number, dir: string): Promise<ChildProcess> {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--loglevel', 'notice'];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => fail(new Error(`redis-server did not start within ${START_TIMEOUT_MS} ms: ${output}`)),
      START_TIMEOUT_MS,
    );
    const fail = (error: Error): void => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve(child);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', (error) => fail(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`)));
    child.once('exit', (code) => fail(new Error(`redis-server exited with ${code} before it was ready: ${output}`)));
  });
}

function kill(child: ChildProcess | undefined): Promise<void> {
  if (child === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** Whether `redis-server` can be run here. */
export function hasRedisServer(): boolean {
  return spawnSync('redis-server', ['--version']).status === 0;
}

/** Start a test Redis on a free loopback port (a second free port is tried when the first was taken meanwhile). */
export async function startRedis(): Promise<TestRedis> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'safetynet-redis-'));
  let port = await freePort();
  let child: ChildProcess | undefined;
  try {
    child = await launch(port, dir);
  } catch {
    port = await freePort();
    child = await launch(port, dir);
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    pause: async () => {
      await kill(child);
      child = undefined;
    },
    resume: async () => {
      if (child === undefined) child = await launch(port, dir);
    },
    stop: async () => {
      await kill(child);
      child = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
