/**
 * What every trace store (LevelDB `TraceStore`, Redis `RedisTraceStore`) shares: the time-sortable
 * key of a trace, the check that a stored value is a trace, and the check of the bounds.
 */
import type { RequestTrace } from './trace-types.js';

/** How many traces are kept. */
export interface TraceBounds {
  /** Newest traces kept; `0` stores none. @default 500 */
  maxCount?: number;
  /** Traces older than this (by `endedAt`, in ms) are removed. @default 604 800 000 (7 days) */
  maxAgeMs?: number;
}

/** The time-sortable key of a trace: `endedAt` as 13 zero-padded digits, `-`, the request id. */
export function traceKey(trace: Pick<RequestTrace, 'endedAt' | 'requestId'>): string {
  return `${String(Math.max(0, Math.floor(trace.endedAt))).padStart(13, '0')}-${trace.requestId}`;
}

/** The request id of a {@link traceKey}. */
export function requestIdOf(key: string): string {
  return key.slice(14);
}

/** True when `value` has the shape of a {@link RequestTrace} (`requestId`, `endedAt`, `steps`, `attempts`). */
export function isTrace(value: unknown): value is RequestTrace {
  const v = value as Partial<RequestTrace> | null;
  return (
    typeof v === 'object' &&
    v !== null &&
    typeof v.requestId === 'string' &&
    typeof v.endedAt === 'number' &&
    Array.isArray(v.steps) &&
    Array.isArray(v.attempts)
  );
}

/**
 * The checked bound option `name` (`maxCount`, `maxAgeMs`), floored, or `fallback` when omitted.
 * @throws {TypeError} when it is not a finite number ≥ 0.
 */
export function traceBound(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new TypeError(`Expected the \`${name}\` option to be a finite number ≥ 0, got \`${String(value)}\` (${typeof value})`);
  }
  return Math.floor(value);
}

/**
 * Every element of `batch` when each is a trace.
 * @throws {TypeError} when one is not a RequestTrace.
 */
export function requireTraces(batch: readonly RequestTrace[]): readonly RequestTrace[] {
  for (const trace of batch)
    if (!isTrace(trace))
      throw new TypeError('Expected the `trace` argument to be a RequestTrace ({ requestId, endedAt, steps, attempts, … })');
  return batch;
}

/**
 * `limit` (of `list`) when it is a positive integer.
 * @throws {TypeError} when it is not.
 */
export function requireLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1)
    throw new TypeError(`Expected the \`limit\` argument to be a positive integer, got \`${String(limit)}\``);
  return limit;
}
