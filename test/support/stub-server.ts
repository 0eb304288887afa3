/**
 * A loopback stub of the provider APIs the real AI CLIs (and, later, the official SDKs) talk to:
 * the Anthropic Messages API and the OpenAI Responses / Chat Completions APIs.
 *
 * One `node:http` server bound to 127.0.0.1 on an ephemeral port. It reads every request body,
 * records a summary of it, and answers model calls according to a list of {@link StubMode}s applied
 * to successive model calls (the last one repeats). Everything it does is bounded: hung responses
 * end on their own after `maxHangMs`, a request budget caps model calls, and `close()` destroys
 * every socket still open.
 *
 * The wire formats follow `/work/shared/notes/real-clis.md` §13 and the fixtures README.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** An HTTP error answer in the provider's error JSON shape. */
export interface StubErrorMode {
  /** HTTP status to answer with (e.g. 401, 429, 500, 503, 529). */
  status: number;
  /** Adds a `retry-after: <seconds>` header. */
  retryAfter?: number;
  /** Overrides the error `type` (Anthropic `error.type`, OpenAI `error.type`). */
  type?: string;
  /** Overrides the OpenAI `error.code` (e.g. `insufficient_quota`). */
  code?: string;
  /** Overrides the error message. */
  message?: string;
}

/**
 * What the stub does with one model call.
 *
 * - `ok`: a normal reply with the configured text (SSE when the request asked for a stream).
 * - `echo`: like `ok`, but the reply is `echo: <last user text> turns=<N>` where N is the number of
 *   user turns the request carried (see {@link BodySummary.turns}).
 * - `{ status }`: the provider's error JSON with that HTTP status.
 * - `hang`: reads the request and never answers (until `maxHangMs` or `close()`).
 * - `stall`: 200 and the first SSE event, then silence.
 * - `badjson`: 200 `application/json` with a body that is not JSON.
 * - `sseerror:<type>`: 200 then an in-stream error (Anthropic `event: error` with that error type,
 *   OpenAI `response.failed` with that code). A non-streaming request gets the matching HTTP error.
 */
export type StubMode = 'ok' | 'echo' | 'hang' | 'stall' | 'badjson' | `sseerror:${string}` | StubErrorMode;

/** Which API a model call was made to. */
export type StubApi = 'anthropic' | 'openai-responses' | 'openai-chat';

/** The kind of a recorded request. */
export type RequestKind =
  | 'anthropic.messages'
  | 'anthropic.count_tokens'
  | 'openai.responses'
  | 'openai.chat'
  | 'models'
  | 'websocket'
  | 'not_found';

/** A compact, test-friendly summary of a request body. */
export interface BodySummary {
  /** Body size in bytes. */
  bytes: number;
  /** Whether the body parsed as JSON. */
  json: boolean;
  /** Top-level keys of a JSON body. */
  keys?: string[];
  model?: string;
  /** The `stream` flag (absent when the body had no `stream` key). */
  stream?: boolean;
  /** Roles of the messages (Anthropic/Chat `messages`, OpenAI Responses `input` message items). */
  roles?: string[];
  /** Number of `user` role messages. */
  userMessageCount?: number;
  /**
   * User turns: user messages whose last text part is not a pure `<tag>…</tag>` context block
   * (Codex sends `<environment_context>` etc. as separate user messages). Two turns on a resume
   * proves the CLI resent the history.
   */
  turns?: number;
  /** The last text part of each user message (tail, at most 500 chars). */
  userTexts?: string[];
  /** The last text part of the last user message (tail, at most 500 chars). */
  lastUserText?: string;
  /** Anthropic `system` (string or text blocks) / OpenAI `instructions`, tail of each, at most 2000 chars. */
  system?: string[];
  /** OpenAI Responses: the text of every `input` item (all its text parts joined by ` | `, tail 500). */
  inputTexts?: string[];
  /** Number of image parts in the messages (Anthropic `image`, OpenAI `input_image` / `image_url`). */
  imageCount?: number;
  /** Number of tools offered. */
  toolsCount?: number;
}

/** One request the stub received. */
export interface RecordedRequest {
  /** 0-based order of arrival. */
  seq: number;
  /** Milliseconds since the stub started. */
  tMs: number;
  /** Epoch milliseconds at arrival. */
  at: number;
  method: string;
  /** Path including the query string, e.g. `/v1/messages?beta=true`. */
  url: string;
  /** Path without the query string. */
  path: string;
  kind: RequestKind;
  /** Request headers, lower-case keys; API keys and bearer tokens truncated. */
  headers: Record<string, string>;
  /** Body summary (undefined for bodiless requests). */
  body?: BodySummary;
  /** The parsed JSON body, for assertions the summary does not cover. */
  json?: unknown;
  /** 0-based model call index, for model calls. */
  modelCall?: number;
  /** Label of the mode applied (model calls only), e.g. `ok`, `status:429`, `budget:503`. */
  mode?: string;
}

/** What a mode function receives for each model call. */
export interface StubCall {
  /** 0-based index of this model call (count_tokens, models and 404s are not model calls). */
  index: number;
  api: StubApi;
  /** Whether the request asked for a stream. */
  stream: boolean;
  request: RecordedRequest;
}

/** Options of {@link startStubServer}. */
export interface StubServerOptions {
  /** Modes applied to successive model calls, the last one repeating; or a function. Default `['ok']`. */
  modes?: StubMode[] | ((call: StubCall) => StubMode);
  /** The `ok` reply text. Default `Hello from the stub.` */
  text?: string;
  /** Model calls past this count answer 503. Default 400. */
  requestBudget?: number;
  /** `hang` / `stall` responses are destroyed after this long. Default 120 000 ms. */
  maxHangMs?: number;
}

/** A running stub server. */
export interface StubServer {
  /** `http://127.0.0.1:PORT` (no trailing slash, no `/v1`). */
  url: string;
  port: number;
  /** Every request received, in order (live array). */
  requests: RecordedRequest[];
  /** Model calls only (`anthropic.messages`, `openai.responses`, `openai.chat`). */
  modelRequests(): RecordedRequest[];
  /** Replaces the modes; the new list applies from the next model call on (its first entry first). */
  setModes(modes: StubMode[] | ((call: StubCall) => StubMode)): void;
  /** Sets the `ok` reply text. */
  setText(text: string): void;
  /** Stops listening and destroys every open socket (hung responses included). Idempotent. */
  close(): Promise<void>;
}

const DEFAULT_TEXT = 'Hello from the stub.';
const TAIL = 500;
const SYSTEM_TAIL = 2000;

/** The last `n` characters of `s`. */
function tail(s: string, n: number): string {
  return s.length > n ? s.slice(s.length - n) : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Text parts of an Anthropic / OpenAI message `content` (string or array of parts). */
function textParts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') out.push(part);
    else if (isRecord(part) && typeof part['text'] === 'string') out.push(part['text']);
  }
  return out;
}

function countImages(content: unknown): number {
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (!isRecord(part)) continue;
    const t = part['type'];
    if (t === 'image' || t === 'input_image' || t === 'image_url') n += 1;
  }
  return n;
}

/** True for a pure context block such as `<environment_context>…</environment_context>`. */
function isContextBlock(text: string): boolean {
  const t = text.trim();
  return /^<([A-Za-z_][\w-]*)[^>]*>[\s\S]*<\/\1>$/.test(t);
}

function truncateSecret(v: string): string {
  return v.length > 18 ? `${v.slice(0, 18)}…<redacted>` : v;
}

function recordHeaders(req: IncomingMessage): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    const value = Array.isArray(v) ? v.join(', ') : v;
    const key = k.toLowerCase();
    out[key] =
      key === 'authorization' || key === 'x-api-key' || key === 'api-key' || key === 'x-goog-api-key' ? truncateSecret(value) : value;
  }
  return out;
}

/** Builds the {@link BodySummary} of a raw body. */
export function summarizeBody(raw: string): { summary: BodySummary; json?: unknown } {
  const summary: BodySummary = { bytes: Buffer.byteLength(raw), json: false };
  if (raw.length === 0) return { summary };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { summary };
  }
  summary.json = true;
  if (!isRecord(parsed)) return { summary, json: parsed };
  summary.keys = Object.keys(parsed);
  if (typeof parsed['model'] === 'string') summary.model = parsed['model'];
  if (typeof parsed['stream'] === 'boolean') summary.stream = parsed['stream'];
  if (Array.isArray(parsed['tools'])) summary.toolsCount = parsed['tools'].length;

  const system: string[] = [];
  const sys = parsed['system'];
  if (typeof sys === 'string') system.push(tail(sys, SYSTEM_TAIL));
  else for (const t of textParts(sys)) system.push(tail(t, SYSTEM_TAIL));
  if (typeof parsed['instructions'] === 'string') system.push(tail(parsed['instructions'], SYSTEM_TAIL));
  if (system.length > 0) summary.system = system;

  // Messages: Anthropic / Chat `messages`, OpenAI Responses `input` (string or items).
  const roles: string[] = [];
  const userTexts: string[] = [];
  const inputTexts: string[] = [];
  let turns = 0;
  let images = 0;
  const visit = (role: string, content: unknown): void => {
    roles.push(role);
    images += countImages(content);
    const texts = textParts(content);
    if (role === 'user') {
      const last = texts.at(-1) ?? '';
      userTexts.push(tail(last, TAIL));
      if (last.trim() !== '' && !isContextBlock(last)) turns += 1;
    }
  };
  const messages = parsed['messages'];
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (isRecord(m) && typeof m['role'] === 'string') visit(m['role'], m['content']);
    }
  }
  const input = parsed['input'];
  if (typeof input === 'string') {
    visit('user', input);
    inputTexts.push(tail(input, TAIL));
  } else if (Array.isArray(input)) {
    for (const item of input) {
      if (!isRecord(item)) continue;
      const content = item['content'];
      inputTexts.push(tail(textParts(content).join(' | '), TAIL));
      if (typeof item['role'] === 'string' && (item['type'] === undefined || item['type'] === 'message')) {
        visit(item['role'], content);
      } else {
        images += countImages(content);
      }
    }
  }
  if (roles.length > 0 || Array.isArray(messages) || input !== undefined) {
    summary.roles = roles;
    summary.userMessageCount = roles.filter((r) => r === 'user').length;
    summary.turns = turns;
    summary.userTexts = userTexts;
    const last = userTexts.at(-1);
    if (last !== undefined) summary.lastUserText = last;
    summary.imageCount = images;
  }
  if (input !== undefined) summary.inputTexts = inputTexts;
  return { summary, json: parsed };
}

/** Label of a mode, for {@link RecordedRequest.mode}. */
function modeLabel(mode: StubMode): string {
  return typeof mode === 'string' ? mode : `status:${mode.status}`;
}

// ---------------------------------------------------------------------------------------------
// Error bodies

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

const ANTHROPIC_MESSAGES: Record<string, string> = {
  invalid_request_error: 'Invalid request.',
  authentication_error: 'invalid x-api-key',
  permission_error: 'Your API key does not have permission to use the specified resource.',
  not_found_error: 'model: not found',
  request_too_large: 'Request exceeds the maximum allowed number of bytes.',
  rate_limit_error: 'This request would exceed the rate limit for your organization of 50 input tokens per minute.',
  api_error: 'Internal server error',
  overloaded_error: 'Overloaded',
};

/** Anthropic error type → HTTP status (for `sseerror:` fallbacks to non-streaming requests). */
const ANTHROPIC_TYPE_STATUS: Record<string, number> = {
  invalid_request_error: 400,
  authentication_error: 401,
  permission_error: 403,
  not_found_error: 404,
  request_too_large: 413,
  rate_limit_error: 429,
  api_error: 500,
  overloaded_error: 529,
};

function anthropicError(mode: StubErrorMode, requestId: string): unknown {
  const type = mode.type ?? ANTHROPIC_ERROR_TYPES[mode.status] ?? (mode.status >= 500 ? 'api_error' : 'invalid_request_error');
  const message = mode.message ?? (mode.status === 503 ? 'Service unavailable' : (ANTHROPIC_MESSAGES[type] ?? `Error ${mode.status}`));
  return { type: 'error', error: { type, message }, request_id: requestId };
}

const OPENAI_ERRORS: Record<number, { type: string; code: string | null; message: string }> = {
  400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message: 'Incorrect API key provided: sk-stub***. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  403: {
    type: 'invalid_request_error',
    code: 'unsupported_country_region_territory',
    message: 'Country, region, or territory not supported',
  },
  404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again in 1s.',
  },
  500: { type: 'server_error', code: 'server_error', message: 'The server had an error while processing your request.' },
  503: { type: 'server_error', code: 'server_error', message: 'The engine is currently overloaded, please try again later.' },
  529: { type: 'server_error', code: 'overloaded', message: 'Overloaded' },
};

const OPENAI_CODE_MESSAGES: Record<string, string> = {
  insufficient_quota: 'You exceeded your current quota, please check your plan and billing details.',
  rate_limit_exceeded: 'Rate limit reached for requests. Please try again in 0.2s.',
  server_error: 'The server had an error while processing your request.',
  context_length_exceeded: 'Your input exceeds the context window of this model.',
  invalid_api_key: OPENAI_ERRORS[401]?.message ?? 'Incorrect API key provided.',
};

/** OpenAI error code → HTTP status (for `sseerror:` answers to non-streaming requests). */
const OPENAI_CODE_STATUS: Record<string, number> = {
  invalid_api_key: 401,
  rate_limit_exceeded: 429,
  insufficient_quota: 429,
  context_length_exceeded: 400,
  server_error: 500,
};

function openaiError(mode: StubErrorMode): unknown {
  const base = OPENAI_ERRORS[mode.status] ?? {
    type: mode.status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
    message: `Error ${mode.status}`,
  };
  const code = mode.code ?? base.code;
  const type = mode.type ?? (mode.code === 'insufficient_quota' ? 'insufficient_quota' : base.type);
  const message = mode.message ?? (mode.code !== undefined ? (OPENAI_CODE_MESSAGES[mode.code] ?? base.message) : base.message);
  return { error: { message, type, param: null, code } };
}

// ---------------------------------------------------------------------------------------------
// Success bodies

function pieces(text: string, size = 12): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out.length > 0 ? out : [''];
}

function outputTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}

function sse(event: string | undefined, data: unknown): string {
  return `${event !== undefined ? `event: ${event}\n` : ''}data: ${JSON.stringify(data)}\n\n`;
}

function anthropicEvents(id: string, model: string, text: string): string[] {
  const usage = { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };
  return [
    sse('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage },
    }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sse('ping', { type: 'ping' }),
    ...pieces(text).map((p) =>
      sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }),
    ),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sse('message_delta', {
      type: 'message_delta',
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      usage: { output_tokens: outputTokens(text) },
    }),
    sse('message_stop', { type: 'message_stop' }),
  ];
}

function anthropicMessage(id: string, model: string, text: string): unknown {
  return {
    id,
    type: 'message',
    role: 'assistant',
    model,
    content: [{ type: 'text', text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: outputTokens(text) },
  };
}

function openaiUsage(text: string): unknown {
  const out = outputTokens(text);
  return {
    input_tokens: 42,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: out,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 42 + out,
  };
}

function responseObject(id: string, model: string, status: string, output: unknown[], usage: unknown): Record<string, unknown> {
  return {
    id,
    object: 'response',
    created_at: Math.floor(Date.now() / 1000),
    status,
    error: null,
    incomplete_details: null,
    model,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: [],
    usage,
  };
}

function messageItem(itemId: string, text: string, status: string): unknown {
  return {
    id: itemId,
    type: 'message',
    status,
    role: 'assistant',
    content: status === 'completed' ? [{ type: 'output_text', text, annotations: [] }] : [],
  };
}

function responsesEvents(id: string, model: string, text: string): string[] {
  const itemId = `msg_${id}`;
  let seq = 0;
  const ev = (type: string, data: Record<string, unknown>): string => sse(type, { type, sequence_number: seq++, ...data });
  const done = messageItem(itemId, text, 'completed');
  const part = { type: 'output_text', text, annotations: [] };
  return [
    ev('response.created', { response: responseObject(id, model, 'in_progress', [], null) }),
    ev('response.in_progress', { response: responseObject(id, model, 'in_progress', [], null) }),
    ev('response.output_item.added', { output_index: 0, item: messageItem(itemId, text, 'in_progress') }),
    ev('response.content_part.added', {
      item_id: itemId,
      output_index: 0,
      content_index: 0,
      part: { type: 'output_text', text: '', annotations: [] },
    }),
    ...pieces(text).map((p) =>
      ev('response.output_text.delta', { item_id: itemId, output_index: 0, content_index: 0, delta: p, logprobs: [] }),
    ),
    ev('response.output_text.done', { item_id: itemId, output_index: 0, content_index: 0, text, logprobs: [] }),
    ev('response.content_part.done', { item_id: itemId, output_index: 0, content_index: 0, part }),
    ev('response.output_item.done', { output_index: 0, item: done }),
    ev('response.completed', { response: responseObject(id, model, 'completed', [done], openaiUsage(text)) }),
  ];
}

function chatChunk(id: string, model: string, delta: unknown, finish: string | null): unknown {
  return {
    id,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  };
}

function chatUsage(text: string): unknown {
  const out = outputTokens(text);
  return { prompt_tokens: 42, completion_tokens: out, total_tokens: 42 + out };
}

function chatEvents(id: string, model: string, text: string, includeUsage: boolean): string[] {
  const out = [
    sse(undefined, chatChunk(id, model, { role: 'assistant', content: '' }, null)),
    ...pieces(text).map((p) => sse(undefined, chatChunk(id, model, { content: p }, null))),
    sse(undefined, chatChunk(id, model, {}, 'stop')),
  ];
  if (includeUsage) {
    out.push(
      sse(undefined, {
        id,
        object: 'chat.completion.chunk',
        created: Math.floor(Date.now() / 1000),
        model,
        choices: [],
        usage: chatUsage(text),
      }),
    );
  }
  out.push('data: [DONE]\n\n');
  return out;
}

function chatCompletion(id: string, model: string, text: string): unknown {
  return {
    id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: chatUsage(text),
  };
}

// ---------------------------------------------------------------------------------------------
// Server

/**
 * Starts a stub server on 127.0.0.1 (ephemeral port). Close it with {@link StubServer.close}.
 *
 * @example
 * const stub = await startStubServer({ modes: [{ status: 529 }, 'ok'], text: 'Hi' });
 * // … point a CLI at stub.url …
 * await stub.close();
 */
export async function startStubServer(options: StubServerOptions = {}): Promise<StubServer> {
  let modes: StubMode[] | ((call: StubCall) => StubMode) = options.modes ?? ['ok'];
  let cursor = 0;
  let text = options.text ?? DEFAULT_TEXT;
  const budget = options.requestBudget ?? 400;
  const maxHangMs = options.maxHangMs ?? 120_000;
  const started = Date.now();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let modelCalls = 0;
  let closed = false;

  const nextMode = (call: StubCall): StubMode => {
    if (typeof modes === 'function') return modes(call);
    const list = modes.length > 0 ? modes : (['ok'] as StubMode[]);
    const mode = list[Math.min(cursor, list.length - 1)] ?? 'ok';
    cursor += 1;
    return mode;
  };

  /** Keeps a response open (hang/stall) until `maxHangMs`, then destroys it. */
  const holdOpen = (res: ServerResponse): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.destroy();
    }, maxHangMs);
    timer.unref();
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      ...headers,
    });
    res.end(payload);
  };

  const sendSse = (res: ServerResponse, events: string[], headers: Record<string, string> = {}): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    for (const e of events) res.write(e);
    res.end();
  };

  const handleModel = (api: StubApi, rec: RecordedRequest, res: ServerResponse): void => {
    const index = modelCalls;
    modelCalls += 1;
    rec.modelCall = index;
    const body = isRecord(rec.json) ? rec.json : {};
    const stream = body['stream'] === true;
    const model = typeof body['model'] === 'string' ? body['model'] : 'stub-model';
    const id = `${api === 'anthropic' ? 'msg' : api === 'openai-chat' ? 'chatcmpl' : 'resp'}_stub_${index}`;
    const reqIdHeader: Record<string, string> =
      api === 'anthropic' ? { 'request-id': `req_stub_${index}` } : { 'x-request-id': `req_stub_${index}` };

    let mode: StubMode;
    if (index >= budget) {
      mode = { status: 503, message: 'stub request budget exhausted' };
      rec.mode = 'budget:503';
    } else {
      mode = nextMode({ index, api, stream, request: rec });
      rec.mode = modeLabel(mode);
    }

    if (typeof mode === 'object') {
      const headers: Record<string, string> = { ...reqIdHeader };
      if (mode.retryAfter !== undefined) headers['retry-after'] = String(mode.retryAfter);
      const errBody = api === 'anthropic' ? anthropicError(mode, `req_stub_${index}`) : openaiError(mode);
      sendJson(res, mode.status, errBody, headers);
      return;
    }
    if (mode === 'hang') {
      holdOpen(res);
      return;
    }
    if (mode === 'badjson') {
      const payload = 'this is not JSON {';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(payload.length), ...reqIdHeader });
      res.end(payload);
      return;
    }

    const replyText = mode === 'echo' ? `echo: ${rec.body?.lastUserText ?? ''} turns=${rec.body?.turns ?? 0}` : text;

    if (mode === 'stall') {
      const first =
        api === 'anthropic'
          ? anthropicEvents(id, model, replyText)[0]
          : api === 'openai-responses'
            ? responsesEvents(id, model, replyText)[0]
            : chatEvents(id, model, replyText, false)[0];
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...reqIdHeader });
      if (first !== undefined) res.write(first);
      holdOpen(res);
      return;
    }

    if (mode.startsWith('sseerror:')) {
      const errType = mode.slice('sseerror:'.length) || 'api_error';
      if (api === 'anthropic') {
        if (!stream) {
          const status = ANTHROPIC_TYPE_STATUS[errType] ?? 500;
          sendJson(res, status, anthropicError({ status, type: errType }, `req_stub_${index}`), reqIdHeader);
          return;
        }
        const first = anthropicEvents(id, model, replyText)[0] ?? '';
        sendSse(
          res,
          [
            first,
            sse('error', {
              type: 'error',
              error: { type: errType, message: ANTHROPIC_MESSAGES[errType] ?? errType },
              request_id: `req_stub_${index}`,
            }),
          ],
          reqIdHeader,
        );
        return;
      }
      const message = OPENAI_CODE_MESSAGES[errType] ?? `stub in-stream error: ${errType}`;
      if (api === 'openai-responses') {
        if (!stream) {
          const status = OPENAI_CODE_STATUS[errType] ?? 500;
          sendJson(res, status, openaiError({ status, code: errType }), reqIdHeader);
          return;
        }
        const failed = responseObject(id, model, 'failed', [], null);
        failed['error'] = { code: errType, message };
        sendSse(
          res,
          [
            sse('response.created', {
              type: 'response.created',
              sequence_number: 0,
              response: responseObject(id, model, 'in_progress', [], null),
            }),
            sse('response.failed', { type: 'response.failed', sequence_number: 1, response: failed }),
          ],
          reqIdHeader,
        );
        return;
      }
      // chat completions
      if (!stream) {
        const status = OPENAI_CODE_STATUS[errType] ?? 500;
        sendJson(res, status, openaiError({ status, code: errType }), reqIdHeader);
        return;
      }
      sendSse(
        res,
        [
          sse(undefined, chatChunk(id, model, { role: 'assistant', content: '' }, null)),
          sse(undefined, { error: { message, type: errType, param: null, code: errType } }),
        ],
        reqIdHeader,
      );
      return;
    }

    // ok / echo
    if (api === 'anthropic') {
      if (stream) sendSse(res, anthropicEvents(id, model, replyText), reqIdHeader);
      else sendJson(res, 200, anthropicMessage(id, model, replyText), reqIdHeader);
    } else if (api === 'openai-responses') {
      if (stream) sendSse(res, responsesEvents(id, model, replyText), reqIdHeader);
      else {
        const done = messageItem(`msg_${id}`, replyText, 'completed');
        const obj = responseObject(id, model, 'completed', [done], openaiUsage(replyText));
        obj['output_text'] = replyText;
        sendJson(res, 200, obj, reqIdHeader);
      }
    } else {
      const so = body['stream_options'];
      const includeUsage = isRecord(so) && so['include_usage'] === true;
      if (stream) sendSse(res, chatEvents(id, model, replyText, includeUsage), reqIdHeader);
      else sendJson(res, 200, chatCompletion(id, model, replyText), reqIdHeader);
    }
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 * 1024 * 1024) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (closed) {
        res.destroy();
        return;
      }
      const url = req.url ?? '/';
      const path = url.split('?')[0] ?? url;
      const method = req.method ?? 'GET';
      const raw = Buffer.concat(chunks).toString('utf8');
      const rec: RecordedRequest = {
        seq: requests.length,
        tMs: Date.now() - started,
        at: Date.now(),
        method,
        url,
        path,
        kind: 'not_found',
        headers: recordHeaders(req),
      };
      if (raw.length > 0) {
        const { summary, json } = summarizeBody(raw);
        rec.body = summary;
        if (json !== undefined) rec.json = json;
      }
      requests.push(rec);

      if (method === 'POST' && /\/messages\/count_tokens$/.test(path)) {
        rec.kind = 'anthropic.count_tokens';
        sendJson(res, 200, { input_tokens: 42 });
      } else if (method === 'POST' && /\/messages$/.test(path)) {
        rec.kind = 'anthropic.messages';
        handleModel('anthropic', rec, res);
      } else if (method === 'POST' && /\/responses$/.test(path)) {
        rec.kind = 'openai.responses';
        handleModel('openai-responses', rec, res);
      } else if (method === 'POST' && /\/chat\/completions$/.test(path)) {
        rec.kind = 'openai.chat';
        handleModel('openai-chat', rec, res);
      } else if (method === 'GET' && /\/models$/.test(path)) {
        rec.kind = 'models';
        sendJson(res, 200, { object: 'list', data: [], has_more: false, first_id: null, last_id: null });
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(method === 'HEAD' ? undefined : JSON.stringify({ error: { message: `stub: no route for ${method} ${path}` } }));
      }
    });
  });

  // WebSocket attempts (Codex with some configs): refuse with 426, end the socket.
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    const url = req.url ?? '/';
    requests.push({
      seq: requests.length,
      tMs: Date.now() - started,
      at: Date.now(),
      method: req.method ?? 'GET',
      url,
      path: url.split('?')[0] ?? url,
      kind: 'websocket',
      headers: recordHeaders(req),
    });
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 426 Upgrade Required\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    modelRequests: () => requests.filter((r) => r.modelCall !== undefined),
    setModes(next) {
      modes = next;
      cursor = 0;
    },
    setText(next) {
      text = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}
