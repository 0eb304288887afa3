/**
 * One entry of the stub's request log ({@link RecordedRequest}): when it arrived, its method, URL and
 * path, its headers with the API keys cut short, and the summary and JSON of its body.
 */
import type { IncomingMessage } from 'node:http';
import { summarizeBody } from './body-summary.js';
import type { RecordedRequest, RequestKind } from './types.js';

/** Headers whose values are credentials: recorded as their first 18 characters only. */
const SECRET_HEADERS = new Set(['authorization', 'x-api-key', 'api-key', 'x-goog-api-key']);

function truncateSecret(v: string): string {
  return v.length > 18 ? `${v.slice(0, 18)}…<redacted>` : v;
}

function recordHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    const key = k.toLowerCase();
    out[key] = SECRET_HEADERS.has(key) ? truncateSecret(value) : value;
  }
  return out;
}

/**
 * The log entry of `req`, the `seq`-th request of a stub started at `startedMs` (epoch ms), with
 * `raw` as its body (empty: no body summary). Its `kind` is the routing's to set.
 */
export function recordRequest(req: IncomingMessage, seq: number, startedMs: number, kind: RequestKind, raw = ''): RecordedRequest {
  const url = req.url ?? '/';
  const at = Date.now();
  const rec: RecordedRequest = {
    seq,
    tMs: at - startedMs,
    at,
    method: req.method ?? 'GET',
    url,
    path: url.split('?')[0] ?? url,
    kind,
    headers: recordHeaders(req),
  };
  if (raw.length > 0) {
    const { summary, json } = summarizeBody(raw);
    rec.body = summary;
    if (json !== undefined) rec.json = json;
  }
  return rec;
}
