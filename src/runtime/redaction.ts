/**
 * What leaves the runtime carries no credential: the attempts, warnings and errors of `run()` (and
 * so `safetynet agent` stderr and `--json`, `safetynet serve` error bodies and logs) are scrubbed
 * by the one text redactor of `inspection/sanitize.ts` (`createRedactor`: configured keys, the
 * standard key variables, credentials inside URLs). The answer itself (`text`, `passthrough`) is
 * passed through as the model gave it.
 */
import type { RequestAttempt } from '../errors.js';
import { configSecrets, createRedactor } from '../inspection/sanitize.js';
import type { RunResult } from './request.js';

/** Replaces credentials inside one text (see `createRedactor`). */
export type Redact = (text: string) => string;

/** The redactor of a runtime's config and environment (`configSecrets`). */
export function runtimeRedactor(
  config: Parameters<typeof configSecrets>[0],
  env: Readonly<Record<string, string | undefined>> = process.env,
): Redact {
  return createRedactor(configSecrets(config, env));
}

/** A deep copy of plain data (objects, arrays) with every string redacted; other values as they are. */
export function redactStrings<T>(value: T, redact: Redact, depth = 0): T {
  if (typeof value === 'string') return redact(value) as T;
  if (depth > 12 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactStrings(item, redact, depth + 1)) as T;
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactStrings(item, redact, depth + 1);
  return out as T;
}

/** One attempt with its `detail` (and every other string) redacted. */
export function redactAttempt(attempt: RequestAttempt, redact: Redact): RequestAttempt {
  return redactStrings(attempt, redact);
}

/** The result with its attempts and warnings redacted; `text` and `passthrough` untouched. */
export function redactRunResult(result: RunResult, redact: Redact): RunResult {
  return {
    ...result,
    attempts: result.attempts.map((attempt) => redactAttempt(attempt, redact)),
    warnings: result.warnings.map(redact),
  };
}

/**
 * The same error, its `message`, `stack` and `attempts` (a `RequestError`'s) redacted in place, so
 * its class, code and fields stay what callers check. Non-errors are returned as they are.
 */
export function redactError<T>(error: T, redact: Redact): T {
  if (!(error instanceof Error)) return error;
  const redefine = (key: string, value: unknown) => Object.defineProperty(error, key, { value, writable: true, configurable: true });
  try {
    const message = redact(error.message);
    if (message !== error.message) redefine('message', message);
    if (typeof error.stack === 'string') redefine('stack', redact(error.stack));
    const { attempts } = error as { attempts?: unknown };
    if (Array.isArray(attempts))
      redefine(
        'attempts',
        attempts.map((attempt: RequestAttempt) => redactAttempt(attempt, redact)),
      );
  } catch {
    // a frozen error stays as it is
  }
  return error;
}
