/**
 * The public request and result shapes of `Runtime.run`, their validation, and the mapping from the
 * machine's output.
 */
import type { Usage } from '../actors/types.js';
import { validatePassthrough, type PassthroughEvent, type PassthroughResult } from './passthrough-calls.js';
import type { PassthroughFormat, PassthroughRequest, RawStreamEvent } from '../actors/api/types.js';
import { UsageError, type RequestAttempt } from '../errors.js';
import { isTimeoutMs, TIMEOUT_MS_EXPECTED } from '../config/timeouts.js';
import type { RequestInput, RequestOutput } from '../machines/types.js';
import type { InspectObserver } from '../inspection/fan-out.js';

import type { ImageInput } from './images.js';
import { normalizeMessages, refuseNulByte, type ChatMessage, type MessageTurn } from '../conversation/messages.js';

export type { ImageInput, ChatMessage, PassthroughEvent, PassthroughFormat, PassthroughRequest, PassthroughResult, RawStreamEvent };

/** One request. Give `message` or `messages`, not both (or neither, with `passthrough`). */
export interface RunRequest {
  /** The user's message (the prompt), non-empty. With a `sessionKey`, the conversation so far is the key's transcript. */
  message?: string;
  /**
   * The whole conversation, kept by the caller (OpenAI-style, the last message `user`): every
   * candidate answers it (API candidates get it as native history, CLI candidates in a history
   * block). `system` messages join `systemPrompt`; images of the last message are staged like
   * `images`. With a `sessionKey` too, the transcript follows these messages and stored CLI
   * sessions are resumed only while they match them (`docs/conversations.md#messages`).
   */
  messages?: ChatMessage[];
  /** A model ref `provider/model` (or an alias from `agents.defaults.models`). @default the configured primary */
  model?: string;
  /**
   * The conversation key. With a key, the CLI session id of each backend is stored and the next
   * turn with the same key resumes it; requests of one key run one at a time. Without a key the
   * request is one-shot and nothing is stored.
   */
  sessionKey?: string;
  /** System prompt, sent as the backend's `systemPromptArg` per its `systemPromptWhen`. */
  systemPrompt?: string;
  /**
   * Images: copied (paths) or decoded (base64) into a private temp folder (0700, files 0600) that
   * is removed when the request ends, whatever way it ends; passed with `imageArg`/`imageMode`, or
   * appended to the prompt as paths when the backend has no `imageArg`.
   */
  images?: ImageInput[];
  /** Working directory of new CLI sessions; resumed sessions run where they were created. @default process.cwd() */
  cwd?: string;
  /** Aborts the request: the running CLI's process group is killed and the chain stops. */
  signal?: AbortSignal;
  /**
   * Deadline of one attempt in ms: a positive number up to 2147483647 (setTimeout's bound, the rule
   * of `agents.defaults.timeoutSeconds`); beyond it `run()` throws `SAFETYNET_USAGE`.
   * @default `agents.defaults.timeoutSeconds` × 1000 (600000)
   */
  timeoutMs?: number;
  /**
   * The name of the deadline setting that the advice of a `timeout` attempt tells to raise (the
   * `safetynet` command passes `--timeout` when the flag was given).
   * @default `timeoutMs` when `timeoutMs` is given, else `agents.defaults.timeoutSeconds`
   */
  timeoutName?: string;
  /**
   * Called with each attempt as soon as it ends (skipped, failed or answered), in order, so that
   * an embedding gateway can log failover as it happens. Exceptions it throws are ignored.
   */
  onAttempt?: (attempt: RequestAttempt) => void;
  /**
   * Receives this request's xstate inspection events, as they happen (e.g. `createVerbosePrinter`,
   * or a `@statelyai/inspect` inspector's `inspect`). The same events feed the request's trace.
   * Exceptions it throws are ignored.
   */
  inspect?: InspectObserver;
  /**
   * Streams the answer: called with each piece of text as the answering attempt produces it (API
   * candidates through their SDK's stream; CLI candidates as the CLI prints it where its output
   * allows: Claude `stream-json`, Codex `--json` item events; otherwise nothing is streamed and
   * the caller uses `RunResult.text`). Failover stays invisible until the first call: once text of
   * an attempt was given here, that attempt's failure ends the request with
   * `SAFETYNET_STREAM_INTERRUPTED` instead of falling back. `RunResult.text` is the whole answer;
   * it starts with the streamed text. Exceptions it throws are ignored.
   */
  onText?: (delta: TextDelta) => void;
  /**
   * A passthrough request (`docs/serve.md#tools-pass-through`): a client body of one wire format
   * (`openai-chat`: Chat Completions, `anthropic-messages`: Messages) that needs tools, tool
   * results, structured output or non-text blocks, sent as it is to API candidates speaking that
   * protocol, with each candidate's model and `stream: true`. Every other candidate (CLI backends,
   * which are text-only, and API providers of another protocol) is a skipped attempt (reason
   * `config`, the detail says why). `message`/`messages` may be left out (nothing else reads
   * them); no transcript and no CLI session is stored (the client keeps the tool conversation),
   * but requests of one `sessionKey` still run one at a time.
   */
  passthrough?: PassthroughRequest;
  /**
   * Streams a passthrough answer: each raw event of the provider's stream (the parsed SSE `data`
   * object, in the client's own format) with the answering model ref. Events of an attempt are held
   * back until its first content event (a text delta, a tool call start…), so failover stays
   * invisible until then; after it, the attempt's failure ends the request with
   * `SAFETYNET_STREAM_INTERRUPTED`. Exceptions it throws are ignored.
   */
  onEvent?: (event: PassthroughEvent) => void;
}

/** A piece of the answer while it is produced (see `RunRequest.onText`). */
export interface TextDelta {
  /** Text to append to what was streamed so far; never empty. */
  text: string;
  /** The model ref producing it, e.g. `anthropic/claude-opus-4-6`. */
  model: string;
}

/** The answer of a request. */
export interface RunResult {
  /** The reply text. */
  text: string;
  /** The model ref that answered, e.g. `claude-cli/opus-4.6`. */
  model: string;
  /** How it was served. */
  backend: 'cli' | 'api';
  /** The request's session key, or `null` for a one-shot request. */
  sessionKey: string | null;
  /** The CLI's session id of this turn (Claude `session_id`, Codex `thread_id`), when there is one. */
  cliSessionId: string | null;
  /** Every attempt in order, the answering one last. */
  attempts: RequestAttempt[];
  /** Token usage reported by the CLI, when it reported any. */
  usage?: Usage;
  /** Wall time of the whole request in ms. */
  durationMs: number;
  /** The request id: 21 characters of `0-9A-Za-z`. */
  requestId: string;
  /** Non-fatal problems, e.g. the session id could not be stored. */
  warnings: string[];
  /**
   * A passthrough request's answer: the provider's final message object (Anthropic `message`,
   * OpenAI `chat.completion`, with tool calls, stop reason and usage as the provider sent them; its
   * `model` is the provider's). `text` is then the answer's text, possibly empty.
   */
  passthrough?: PassthroughResult;
}

/**
 * Check a request at the boundary.
 * @throws {UsageError} `SAFETYNET_USAGE` naming the field, what was expected and what was received
 *   (a `message` or `systemPrompt` holding a NUL byte is named, never quoted).
 */
export function validateRunRequest(request: RunRequest): void {
  const problem = (field: string, expected: string, received: unknown) =>
    new UsageError(`request.${field}: expected ${expected}, received ${JSON.stringify(received)?.slice(0, 80) ?? String(received)}`);
  if (typeof request !== 'object' || request === null) throw problem('', 'an object', request);
  if (request.messages !== undefined && request.message !== undefined)
    throw new UsageError('request: give either message or messages, not both');
  if (request.passthrough !== undefined) validatePassthrough(request.passthrough);
  if (
    request.messages === undefined &&
    (request.passthrough === undefined || request.message !== undefined) &&
    (typeof request.message !== 'string' || request.message.trim() === '')
  )
    throw problem('message', 'a non-empty string (or give messages)', request.message);
  if (typeof request.message === 'string') refuseNulByte(request.message, 'message');
  if (typeof request.systemPrompt === 'string') refuseNulByte(request.systemPrompt, 'systemPrompt');
  if (request.model !== undefined && (typeof request.model !== 'string' || request.model.trim() === ''))
    throw problem('model', 'a model ref "provider/model"', request.model);
  if (request.sessionKey !== undefined && (typeof request.sessionKey !== 'string' || request.sessionKey === ''))
    throw problem('sessionKey', 'a non-empty string', request.sessionKey);
  if (request.systemPrompt !== undefined && typeof request.systemPrompt !== 'string')
    throw problem('systemPrompt', 'a string', request.systemPrompt);
  if (request.images !== undefined && !Array.isArray(request.images))
    throw problem('images', 'an array of { path } or { data, mimeType }', request.images);
  if (request.cwd !== undefined && (typeof request.cwd !== 'string' || request.cwd === ''))
    throw problem('cwd', 'a directory path', request.cwd);
  if (request.timeoutMs !== undefined && !isTimeoutMs(request.timeoutMs))
    throw problem('timeoutMs', TIMEOUT_MS_EXPECTED, request.timeoutMs);
  if (request.onAttempt !== undefined && typeof request.onAttempt !== 'function')
    throw problem('onAttempt', 'a function', typeof request.onAttempt);
  if (request.onText !== undefined && typeof request.onText !== 'function') throw problem('onText', 'a function', typeof request.onText);
  if (request.onEvent !== undefined && typeof request.onEvent !== 'function')
    throw problem('onEvent', 'a function', typeof request.onEvent);
  if (
    request.inspect !== undefined &&
    typeof request.inspect !== 'function' &&
    (typeof request.inspect !== 'object' || request.inspect === null)
  ) {
    throw problem('inspect', 'an inspection observer (a function or { next })', typeof request.inspect);
  }
}

/** What one request asks, whichever way it was given (`message` or `messages`). */
export interface RequestParts {
  /** The user's new message. */
  message: string;
  /** `systemPrompt` and the `system` messages, joined by blank lines. */
  systemPrompt: string | undefined;
  /** `images`, then the images of the last message. */
  images: ImageInput[];
  /** The earlier turns of `messages`, or `undefined` when the request gave `message`. */
  history: MessageTurn[] | undefined;
}

/**
 * Split a validated request into its parts.
 * @throws {UsageError} `SAFETYNET_USAGE` for bad `messages` (see `normalizeMessages`).
 */
export function requestParts(request: RunRequest): RequestParts {
  const images = request.images ?? [];
  if (request.messages === undefined)
    return { message: request.message ?? '', systemPrompt: request.systemPrompt, images, history: undefined };
  const normalized = normalizeMessages(request.messages);
  const prompts = [request.systemPrompt, normalized.systemPrompt].filter((text): text is string => text !== undefined && text !== '');
  return {
    message: normalized.message,
    systemPrompt: prompts.length === 0 ? request.systemPrompt : prompts.join('\n\n'),
    images: [...images, ...normalized.images],
    history: normalized.history,
  };
}

/** Map an answered machine output to the public result. */
export function toRunResult(
  output: Extract<RequestOutput, { status: 'answered' }>,
  input: Pick<RequestInput, 'sessionKey' | 'requestId'>,
  durationMs: number,
): RunResult {
  return {
    text: output.text,
    model: output.model,
    backend: output.backend,
    sessionKey: input.sessionKey,
    cliSessionId: output.cliSessionId,
    attempts: output.attempts,
    ...(output.usage === undefined ? {} : { usage: output.usage }),
    durationMs,
    requestId: input.requestId,
    warnings:
      output.persistWarning === undefined ? [] : [`the turn could not be stored (transcript and CLI session id): ${output.persistWarning}`],
  };
}

/** Call `onAttempt` once per new entry of the machine's attempt log, in order, as each attempt ends. */
export function reportAttempts(
  actor: { subscribe(observer: (snapshot: { context: { attempts: RequestAttempt[] } }) => void): unknown },
  onAttempt: (attempt: RequestAttempt) => void,
): void {
  let reported = 0;
  actor.subscribe((snapshot) => {
    const { attempts } = snapshot.context;
    for (; reported < attempts.length; reported++) {
      try {
        onAttempt(attempts[reported]!);
      } catch {
        // a logging callback must not break the request
      }
    }
  });
}
