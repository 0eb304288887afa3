/**
 * The public shapes of the loopback provider stub (`startStubServer` in `./index.ts`): the
 * modes a test gives it, the request log it keeps, and the server handle it returns.
 */

/** An HTTP error answer in the provider's error JSON shape. */
export interface StubErrorMode {
  /** HTTP status to answer with (e.g. 401, 429, 500, 503, 529). */
  status: number;
  /** Adds a `retry-after: <seconds>` header. */
  retryAfter?: number;
  /** Overrides the error `type` (Anthropic `error.type`, OpenAI `error.type`, Gemini `error.status`). */
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
 * - `midstream:<type>`: 200, the reply's events up to its first text delta, then that in-stream error.
 * - `tooluse`: a tool call only (Anthropic `tool_use` block, Chat `tool_calls`), JSON or SSE (`./tool-use.ts`).
 * - `reset`: 200, the reply's events up to its first text delta, the protocol's keep-alive event
 *   (Chat: a chunk without `choices`), then the connection is reset (TCP RST) after 100 ms.
 * - `huge:<chars>`: an `ok` reply whose text is `<chars>` characters (`x`), streamed in 64 Ki
 *   deltas (past an answer cap, fast).
 */
export type StubMode =
  | 'ok'
  | 'echo'
  | 'tooluse'
  | 'hang'
  | 'stall'
  | 'badjson'
  | `sseerror:${string}`
  | `midstream:${string}`
  | 'reset'
  | `huge:${number}`
  | StubErrorMode;

/** Which API a model call was made to. */
export type StubApi = 'anthropic' | 'openai-responses' | 'openai-chat' | 'gemini';

/** The kind of a recorded request. */
export type RequestKind =
  | 'anthropic.messages'
  | 'anthropic.count_tokens'
  | 'openai.responses'
  | 'openai.chat'
  | 'gemini.generate'
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
  /** Roles of the messages (Anthropic/Chat `messages`, OpenAI Responses `input` message items, Gemini `contents`). */
  roles?: string[];
  /**
   * Every message in order (Anthropic/Chat `messages`, OpenAI Responses `input` message items; a
   * string `input` is one `user` message): its role and its text parts joined by ` | ` (tail, at
   * most 500 chars). Images are not texts: see {@link imageCount}.
   */
  messages?: { role: string; text: string }[];
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
  /** Model calls only (`anthropic.messages`, `openai.responses`, `openai.chat`, `gemini.generate`). */
  modelRequests(): RecordedRequest[];
  /** Replaces the modes; the new list applies from the next model call on (its first entry first). */
  setModes(modes: StubMode[] | ((call: StubCall) => StubMode)): void;
  /** Sets the `ok` reply text. */
  setText(text: string): void;
  /** Stops listening and destroys every open socket (hung responses included). Idempotent. */
  close(): Promise<void>;
}
