/**
 * What one provider API of the stub is: its route, its id and request-id conventions, its error
 * JSON, its success answer (JSON or SSE) and its in-stream error. The server (`./index.ts`) picks the
 * mode of a model call and hands the answer to the {@link StubProtocol} of the route it came in on;
 * each protocol module (`anthropic-messages.ts`, `openai-responses.ts`, `openai-completions.ts`,
 * `gemini-generate.ts`)
 * implements it. Also the small wire helpers every protocol uses.
 */
import type { RequestKind, StubApi, StubErrorMode } from './types.js';

/** The facts of one model call a protocol answers. */
export interface ReplyContext {
  /** The response / message id, e.g. `msg_stub_0`. */
  id: string;
  /** The request's `model` (or `stub-model`). */
  model: string;
  /** The reply text (the configured text, or the echo). */
  text: string;
  /** The request's JSON body (`{}` when it was not a JSON object). */
  body: Record<string, unknown>;
  /** Whether the request asked for a stream (`stream: true`). */
  stream: boolean;
  /** The provider request id, e.g. `req_stub_0`. */
  requestId: string;
}

/** An answer: a JSON body with its HTTP status, or a 200 SSE stream of ready-made events. */
export type StubReply = { status: number; json: unknown } | { events: string[] };

/** One provider API the stub speaks. */
export interface StubProtocol {
  api: StubApi;
  /** The {@link RequestKind} its model calls are recorded as. */
  kind: RequestKind;
  /** Matches the path (no query string) of its POST route. */
  path: RegExp;
  /** Prefix of its response ids (`msg`, `resp`, `chatcmpl`). */
  idPrefix: string;
  /** The response header that carries the request id. */
  requestIdHeader: string;
  /** Whether a call streams, from its path (Gemini); absent: the body's `stream: true` decides. */
  streams?(path: string): boolean;
  /** The model named by the path (Gemini); absent or `undefined`: the body's `model`. */
  model?(path: string): string | undefined;
  /** The provider's error JSON for an HTTP error mode. */
  error(mode: StubErrorMode, requestId: string): unknown;
  /** The success answer: SSE when the request streams, else the JSON body. */
  ok(ctx: ReplyContext): StubReply;
  /** `sseerror:<type>`: 200 then an in-stream error; a non-streaming request gets the matching HTTP error. */
  streamError(ctx: ReplyContext, errType: string): StubReply;
  /**
   * `reset`: an event some proxies send between the deltas that carries nothing (Chat: a chunk
   * without `choices`), sent right before the connection is reset. Absent: none is sent.
   */
  keepAlive?(ctx: ReplyContext): string;
}

/** True for a plain object (not null, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Texts longer than this (the `huge:<chars>` mode) are cut into {@link HUGE_PIECE_CHARS} deltas, so they stream fast. */
export const HUGE_TEXT_CHARS = 1_000_000;
/** The delta size of a text longer than {@link HUGE_TEXT_CHARS}: 64 Ki characters. */
export const HUGE_PIECE_CHARS = 65_536;

/** `text` cut into stream deltas of `size` characters (at least one, possibly empty); default 12, 64 Ki for a huge text. */
export function pieces(text: string, size = text.length > HUGE_TEXT_CHARS ? HUGE_PIECE_CHARS : 12): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

/** A plausible output token count for `text` (4 characters a token, at least 1). */
export function outputTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

/** One SSE event: an optional `event:` line, then `data:` with `data` as JSON. */
export function sse(event: string | undefined, data: unknown): string {
  return `${event !== undefined ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

/** The current time in epoch seconds (the `created` fields of the OpenAI APIs). */
export function epochSeconds(): number {
  return Math.floor(Date.now() / 1000);
}
