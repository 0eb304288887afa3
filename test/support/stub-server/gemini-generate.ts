/**
 * The stub's Gemini API (`POST /v1beta/models/<model>:streamGenerateContent?alt=sse` and
 * `:generateContent`, what `gemini` calls with `GOOGLE_GEMINI_BASE_URL`): the error JSON
 * `{ error: { code, message, status } }` with the status name of each HTTP status, the
 * `GenerateContentResponse` (`candidates[0].content.parts[].text` + `usageMetadata`), and its SSE
 * stream of `data:` chunks. Unlike the other APIs, streaming is chosen by the URL (the body has no
 * `stream` key) and the model is in the path. A request carrying a
 * `generationConfig.responseJsonSchema` (Gemini CLI's model router, used when no `--model` is given)
 * gets a JSON object built from the schema as its text.
 */
import { isRecord, outputTokens, pieces, type ReplyContext, type StubProtocol, type StubReply, sse } from './protocol.js';
import type { StubErrorMode } from './types.js';

/** HTTP status → the Google API status name and message (the shapes of `../shared/fixtures/real-cli/gemini/http-*`). */
const ERRORS: Record<number, { status: string; message: string }> = {
  400: { status: 'INVALID_ARGUMENT', message: 'API key not valid. Please pass a valid API key.' },
  401: {
    status: 'UNAUTHENTICATED',
    message:
      'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.',
  },
  403: { status: 'PERMISSION_DENIED', message: 'Permission denied on resource project stub.' },
  404: { status: 'NOT_FOUND', message: 'models/stub is not found for API version v1beta.' },
  429: { status: 'RESOURCE_EXHAUSTED', message: 'Resource has been exhausted (e.g. check quota).' },
  500: {
    status: 'INTERNAL',
    message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting',
  },
  503: { status: 'UNAVAILABLE', message: 'The model is overloaded. Please try again later.' },
};

/** Status name → HTTP status (for `sseerror:<STATUS_NAME>`). */
const NAME_STATUS: Record<string, number> = Object.fromEntries(Object.entries(ERRORS).map(([code, { status }]) => [status, Number(code)]));

/** The Google API error JSON for an HTTP status. */
function geminiError(mode: StubErrorMode): unknown {
  const base = ERRORS[mode.status] ?? { status: mode.status >= 500 ? 'INTERNAL' : 'FAILED_PRECONDITION', message: `Error ${mode.status}` };
  return { error: { code: mode.status, message: mode.message ?? base.message, status: mode.type ?? base.status } };
}

/** A value of the JSON schema `schema` (Gemini's upper-case type names or JSON Schema's lower-case ones). */
function fromSchema(schema: unknown, depth = 0): unknown {
  if (!isRecord(schema) || depth > 5) return null;
  const type = String(schema['type'] ?? 'object').toLowerCase();
  if (type === 'object') {
    const properties = isRecord(schema['properties']) ? schema['properties'] : {};
    return Object.fromEntries(Object.entries(properties).map(([key, inner]) => [key, fromSchema(inner, depth + 1)]));
  }
  if (type === 'array') return [fromSchema(schema['items'], depth + 1)];
  if (type === 'integer' || type === 'number') return 1;
  if (type === 'boolean') return false;
  return 'stub';
}

function usageMetadata(text: string): Record<string, number> {
  const out = outputTokens(text);
  return { promptTokenCount: 42, candidatesTokenCount: out, totalTokenCount: 42 + out };
}

/** One `GenerateContentResponse`; `finishReason` only on the last chunk. */
function chunk(ctx: ReplyContext, text: string, last: boolean): Record<string, unknown> {
  const candidate: Record<string, unknown> = { content: { parts: [{ text }], role: 'model' }, index: 0 };
  if (last) candidate['finishReason'] = 'STOP';
  return {
    candidates: [candidate],
    ...(last ? { usageMetadata: usageMetadata(ctx.text) } : {}),
    modelVersion: ctx.model,
    responseId: ctx.id,
  };
}

/** The reply text: the schema's object for a router call, else the configured text. */
function replyText(ctx: ReplyContext): string {
  const config = ctx.body['generationConfig'];
  const schema = isRecord(config) ? (config['responseJsonSchema'] ?? config['responseSchema']) : undefined;
  return schema === undefined ? ctx.text : JSON.stringify(fromSchema(schema));
}

/** `POST …/models/<model>:streamGenerateContent` streams; `:generateContent` answers one JSON. */
const GEMINI_PATH = /\/models\/([^/:]+):(streamGenerateContent|generateContent)$/;

/** The Gemini API of the stub. */
export const geminiGenerate: StubProtocol = {
  api: 'gemini',
  kind: 'gemini.generate',
  path: GEMINI_PATH,
  idPrefix: 'gen',
  requestIdHeader: 'x-goog-request-id',
  streams: (path) => GEMINI_PATH.exec(path)?.[2] === 'streamGenerateContent',
  model: (path) => GEMINI_PATH.exec(path)?.[1],
  error: geminiError,
  ok(ctx) {
    const text = replyText(ctx);
    const reply = { ...ctx, text };
    if (!ctx.stream) return { status: 200, json: chunk(reply, text, true) };
    const parts = pieces(text);
    return { events: parts.map((part, i) => sse(undefined, chunk(reply, part, i === parts.length - 1))) };
  },
  streamError(_ctx, errType): StubReply {
    const status = NAME_STATUS[errType.toUpperCase()] ?? 500;
    return { status, json: geminiError({ status }) };
  },
};
