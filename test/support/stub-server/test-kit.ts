/**
 * What the stub server's own tests share: stubs and temp HOMEs that are closed and removed after
 * each test, a JSON POST, and the event names of an SSE body.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { tempDirs } from '../real-cli.js';
import { startStubServer, type StubServer, type StubServerOptions } from './index.js';

/** Starts stubs and sandboxes for one test file; everything is closed / removed after each test. */
export function stubKit(): {
  stub(options?: StubServerOptions): Promise<StubServer>;
  sandbox(): Promise<{ home: string; cwd: string }>;
} {
  const tmp = tempDirs('safetynet-stub-test-');
  const stubs: StubServer[] = [];
  afterEach(async () => {
    await Promise.all(stubs.splice(0).map((s) => s.close()));
    await tmp.cleanup();
  });
  return {
    async stub(options) {
      const s = await startStubServer(options);
      stubs.push(s);
      return s;
    },
    /** A fresh HOME and a working directory inside it (claude binds sessions to the cwd). */
    async sandbox() {
      const home = await tmp.make();
      const cwd = join(home, 'work');
      await mkdir(cwd);
      return { home, cwd };
    },
  };
}

/** The event names (`event:` lines) of an SSE body. */
export function sseEventNames(body: string): string[] {
  return [...body.matchAll(/^event: (.+)$/gm)].map((m) => m[1] ?? '');
}

/** POSTs `body` as JSON to `url`. */
export function post(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}
