/**
 * Shapes of one API call: what the request machine passes to `callApi` and what it gets back.
 * Both are plain objects; the provider's `apiKey` is a non-enumerable property of the provider
 * (see `ResolvedApiProvider`), so snapshots and traces of an input never carry the key.
 */
import type { ResolvedApiProvider } from '../../config/types.js';
import type { TranscriptTurn } from '../../conversation/types.js';
import type { StagedImage, Usage } from '../types.js';

/**
 * One earlier turn of the conversation as an API candidate sends it: who spoke, the text, and the
 * placeholders of the images the turn carried (their bytes are gone; see `./history.ts`).
 */
export type HistoryTurn = Pick<TranscriptTurn, 'role' | 'text' | 'images'>;

/** Everything needed to call one API candidate (the request machine's `callApi` input). */
export interface ApiCallInput {
  /** The resolved provider (protocol, base URL, key, headers, per-provider timeout). */
  provider: ResolvedApiProvider;
  /** The model part of the ref (`claude-opus-4-6` of `anthropic/claude-opus-4-6`), sent as is. */
  model: string;
  /** Earlier turns of the conversation, oldest first (empty for a one-shot request). The new user message is `prompt`. */
  history: readonly HistoryTurn[];
  /** The user message. */
  prompt: string;
  /** Anthropic `system`, OpenAI Responses `instructions`, or a Chat `system` message. */
  systemPrompt: string | undefined;
  /** Staged images (private temp files), sent inline as base64 image parts. */
  images: StagedImage[];
  /** Deadline of the attempt in ms; `provider.timeoutMs` replaces it when set. */
  timeoutMs: number;
  /** The request this call belongs to (the runtime streams its text to that request's caller). */
  requestId?: string;
  /**
   * The stream clocks (`safetynet.streaming`): no stream event within `firstTokenMs` of the call,
   * or none for `idleMs` after one, fails the attempt with `timeout`. Absent: only the deadline.
   */
  clocks?: StreamClocks;
  /**
   * A passthrough request (tools, structured output, tool messages): the client's own body, sent
   * as it is instead of `history`/`prompt` (see `./passthrough.ts`). Only a provider whose `api`
   * speaks `format` can serve it (the runtime skips the others).
   */
  passthrough?: PassthroughRequest;
}

/**
 * The wire format of a passthrough request: `openai-chat` (Chat Completions, served by providers
 * of api `openai-completions`) or `anthropic-messages` (served by `anthropic-messages` providers).
 */
export type PassthroughFormat = 'openai-chat' | 'anthropic-messages';

/** A client's request body passed to a provider of the same protocol (`model` and `stream` replaced). */
export interface PassthroughRequest {
  format: PassthroughFormat;
  /** The body as the client sent it (JSON object). */
  body: Readonly<Record<string, unknown>>;
  /**
   * Protocol headers of the client to send along, e.g. `anthropic-beta` (Claude Code enables beta
   * body fields with it; without it the provider refuses them). Never auth headers: the
   * provider's own key is used.
   */
  headers?: Readonly<Record<string, string>>;
}

/** One raw stream event of a passthrough call: the provider's parsed SSE `data` object. */
export type RawStreamEvent = Record<string, unknown>;

/** Builds the final message of one passthrough stream, event by event (one per format). */
export interface PassthroughAccumulator {
  /** Fold one raw event in: the answer text it adds (`''` for none), and whether it is content. */
  add(event: RawStreamEvent): { text: string; content: boolean };
  /**
   * The answer once the stream ended.
   * @throws {ApiStreamError} `truncated` when the stream ended before its last event.
   */
  finish(): PassthroughTurn;
}

/** The SDK request options of a passthrough call (both SDKs take this shape). */
export interface PassthroughCallOptions {
  signal: AbortSignal;
  /** The SDK's per-request timeout in ms. */
  timeout: number;
  /** Always 0: failover, not the SDK, decides what happens after a failure. */
  maxRetries: 0;
  headers?: Record<string, string>;
}

/** One passthrough protocol: how its stream is opened, and the accumulator of its final message. */
export interface PassthroughProtocol {
  /**
   * Send `body` with `model` and `stream: true` with the provider's cached client and the SDK
   * request `options` (signal, timeout, retries off, the client's protocol headers).
   * @throws the SDK's errors (HTTP status, connection); in-stream errors are thrown while iterating.
   */
  open(
    provider: ResolvedApiProvider,
    body: Readonly<Record<string, unknown>>,
    model: string,
    options: PassthroughCallOptions,
  ): Promise<AsyncIterable<RawStreamEvent>>;
  accumulator(): PassthroughAccumulator;
}

/** A successful passthrough answer: the turn plus the provider's final message object. */
export interface PassthroughTurn extends ApiTurn {
  /**
   * The final message as the provider's non-streaming API would have answered it (Anthropic
   * `message`, OpenAI `chat.completion`), accumulated from the stream: tool calls, stop reason and
   * usage included. `text` may be empty (an answer that is only a tool call is a success).
   */
  response: Record<string, unknown>;
}

/** The two stream clocks of an API attempt, in ms (`safetynet.streaming`; `docs/streaming.md#clocks`). */
export interface StreamClocks {
  /** Longest wait for the first stream event after the call started. @default 10000 */
  firstTokenMs: number;
  /** Longest gap between two stream events. @default 30000 */
  idleMs: number;
}

/** What a runner reports while its stream runs (all optional; exceptions they throw are not caught). */
export interface ApiStreamHooks {
  /** Every stream event (any type): re-arms the idle clock. */
  onEvent?: () => void;
  /** A piece of answer text, as it arrives (never empty). */
  onText?: (text: string) => void;
  /**
   * Passthrough calls only: every raw event, and whether it is content (a non-empty delta, or the
   * start of a tool call / non-text block) — what ends the invisible-failover window.
   */
  onRaw?: (event: RawStreamEvent, content: boolean) => void;
}

/** A successful API answer. */
export interface ApiTurn {
  /** The answer text (never empty: an empty answer is an `unknown` failure). */
  text: string;
  /**
   * Token usage as reported by the provider (fields > 0 only). `input` excludes cached input on
   * every API (OpenAI's `input_tokens` minus `cached_tokens`); `cacheRead`/`cacheWrite` are separate.
   */
  usage: Usage | undefined;
  /** The provider's id of the answer (`msg_…`, `resp_…`, `chatcmpl-…`), when it sent one. */
  responseId: string | undefined;
}

/** An image sent inline: its media type and the file's bytes as base64. */
export interface InlineImage {
  /** `image/png`, `image/jpeg`, `image/gif` or `image/webp` (checked when the image was staged). */
  mimeType: string;
  /** Base64 of the file's bytes. */
  data: string;
}

/** The protocol-independent request one API runner sends. */
export interface ApiRequest {
  model: string;
  /** Earlier turns of the conversation, oldest first (empty for a one-shot request). The new user message is `prompt`. */
  history: readonly HistoryTurn[];
  /** The new user message, always the last message sent. */
  prompt: string;
  systemPrompt: string | undefined;
  /** Images placed before the prompt text in the one user message. */
  images: readonly InlineImage[];
}

/**
 * Sends one streaming request with the provider's cached client and collects the answer.
 * `signal` is threaded into the SDK call; `timeoutMs` is the SDK's per-request timeout. Rejects with
 * whatever the SDK threw or an `ApiStreamError` (error event, truncated stream); the caller
 * classifies it. `hooks` receive every stream event and each text delta as they arrive.
 */
export type ApiRunner = (
  provider: ResolvedApiProvider,
  request: ApiRequest,
  signal: AbortSignal,
  timeoutMs: number,
  hooks?: ApiStreamHooks,
) => Promise<ApiTurn>;
