/**
 * Shared pieces of the API actor tests: providers resolved the real way (so `apiKey` is the
 * non-enumerable property the runtime sees), a port nothing listens on, and rejection helpers.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { expect } from 'vitest';
import { resolveApiProviders } from '../../../src/config/providers.js';
import type { ApiKind, ResolvedApiProvider } from '../../../src/config/types.js';
import { AttemptError } from '../../../src/errors.js';

/** A recognisable fake key: it must never show up in messages, fields or inspected errors. */
export const KEY = 'sk-test-SECRET-0123456789abcdef';

/** A custom provider `stub` of `api` at `baseUrl`, resolved through the config code. */
export function stubProvider(api: ApiKind, baseUrl: string, extra: { apiKey?: string | null; timeoutMs?: number; headers?: Record<string, string> } = {}): ResolvedApiProvider {
  const apiKey = extra.apiKey === null ? {} : { apiKey: extra.apiKey ?? KEY };
  const entry = { api, baseUrl, ...apiKey, ...(extra.timeoutMs === undefined ? {} : { timeoutMs: extra.timeoutMs }), ...(extra.headers === undefined ? {} : { headers: extra.headers }) };
  const provider = resolveApiProviders({ stub: entry }, {}, '<inline>')['stub'];
  if (provider === undefined) throw new Error('stub provider not resolved');
  return provider;
}

/** A loopback port nothing listens on: bound to port 0, read, closed. */
export async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Awaits a rejection and returns it as an AttemptError (fails the test otherwise). */
export async function attemptError(promise: Promise<unknown>): Promise<AttemptError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AttemptError);
    return error as AttemptError;
  }
  throw new Error('expected the call to reject');
}

/** The key appears nowhere: not in the message, not in the plain failure, not in the inspected error. */
export function expectNoKey(error: AttemptError): void {
  expect(error.message).not.toContain(KEY);
  expect(JSON.stringify(error.toFailure())).not.toContain(KEY);
  expect(JSON.stringify({ ...error, message: error.message })).not.toContain(KEY);
  expect(inspect(error, { depth: 6 })).not.toContain(KEY);
}

/** Resolves when `check()` is true, polling every 5 ms for at most `limitMs`. */
export async function until(check: () => boolean, limitMs = 5000): Promise<void> {
  for (let waited = 0; !check(); waited += 5) {
    if (waited >= limitMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
