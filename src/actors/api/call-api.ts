/**
 * One API attempt: the entry point the request machine's `calling-api` state invokes.
 *
 * Picks the runner of the provider's protocol, bounds the call by a deadline
 * (`provider.timeoutMs`, else the attempt's `timeoutMs`) that covers the whole stream (the SDKs'
 * own timeout stops at the response headers), threads the caller's signal into the SDK, and turns
 * every failure into an {@link AttemptError} with a classified reason (`./classify-api.ts`).
 */
import { readFile } from 'node:fs/promises';
import { apiKeySource, isBuiltinApiProvider } from '../../config/providers.js';
import type { ApiKind } from '../../config/types.js';
import { AttemptError } from '../../errors.js';
import { MAX_ANSWER_BYTES } from '../limits.js';
import { runAnthropicMessages } from './anthropic-messages.js';
import { ApiStreamError, toApiAttemptError } from './classify-api.js';
import { runOpenAICompletions } from './openai-completions.js';
import { runOpenAIResponses } from './openai-responses.js';
import { AttemptClocks, expiredClockMessage, timerMs } from './deadline.js';
import { ContentGate, runPassthrough } from './passthrough.js';
import type { ApiCallInput, ApiRunner, ApiTurn, InlineImage, PassthroughTurn, RawStreamEvent } from './types.js';

/** Options of {@link callApi}. */
export interface CallApiOptions {
  /** Receives each piece of answer text as the stream delivers it (never empty). */
  onText?: (text: string) => void;
  /**
   * Passthrough calls only: receives the provider's raw stream events, held back until the first
   * content event (`ContentGate` of `./passthrough.ts`), so events of an attempt that fails before
   * its first content never reach it.
   */
  onEvent?: (event: RawStreamEvent) => void;
}

/** The runner of each protocol. */
export const API_RUNNERS: Readonly<Record<ApiKind, ApiRunner>> = Object.freeze({
  'anthropic-messages': runAnthropicMessages,
  'openai-responses': runOpenAIResponses,
  'openai-completions': runOpenAICompletions,
});

const NO_IMAGES: readonly InlineImage[] = Object.freeze([]);
const AUTH_HEADERS = new Set(['authorization', 'x-api-key', 'api-key']);

/** Reads the staged images as base64 (only when there are any). */
async function inlineImages(input: ApiCallInput): Promise<readonly InlineImage[]> {
  if (input.images.length === 0) return NO_IMAGES;
  return Promise.all(
    input.images.map(async (image) => ({ mimeType: image.mimeType, data: (await readFile(image.path)).toString('base64') })),
  );
}

/** The failure of an answer past {@link MAX_ANSWER_BYTES} (classified `server_error`). */
function answerTooLarge(): ApiStreamError {
  return new ApiStreamError('too_large', `the answer passed ${MAX_ANSWER_BYTES} bytes (16 MiB, the answer cap): the rest was not read`);
}

function hasAuthHeader(headers: Record<string, string>): boolean {
  for (const name of Object.keys(headers)) if (AUTH_HEADERS.has(name.toLowerCase())) return true;
  return false;
}

/**
 * Calls one API candidate and returns its answer.
 *
 * - streaming, with the SDK's retries off; `signal` aborts the SDK call at once;
 * - `input.history` (the earlier turns) goes before the new message in the protocol's own form
 *   (`anthropicBody`, `responsesBody`, `completionsBody`);
 * - deadline: `provider.timeoutMs ?? input.timeoutMs` (clamped to 1 ms … 2^31 − 1 ms), over the
 *   whole call including the stream; with `input.clocks`, also the first-token and idle clocks
 *   (`./deadline.ts`);
 * - `options.onText` gets the answer's text deltas as they arrive;
 * - the answer's text is capped at {@link MAX_ANSWER_BYTES} (16 MiB of UTF-8, the cap of a CLI's
 *   stdout too): the delta that passes it is not handed on, the stream is dropped and the attempt
 *   fails with `server_error` (falls back unless text was already streamed);
 * - a provider whose `apiKey` names an unset variable (`provider.apiKeyMissing`) fails with
 *   `config` before anything is sent, naming the key path and the variable; a built-in provider
 *   (`anthropic`, `openai`) without a key (and without an auth header) fails with `auth` likewise;
 * - `input.passthrough`: the client's body is sent instead (`./passthrough.ts`), raw events go to
 *   `options.onEvent` from the first content event on, and the answer carries the final message
 *   object as `response`; its text may be empty (a tool call alone is an answer).
 *
 * @returns `{ text, usage, responseId }` (plus `response` for a passthrough call); `text` is never
 *   empty for a normal call.
 * @throws AttemptError with `reason` (`aborted` when the caller aborted, `timeout` when a clock
 *   fired, `server_error` for an answer past the cap, else the classification of the SDK error or
 *   stream event; an empty answer is `unknown`), `status` and `retryAfterMs` when known, `outputSent` when text had been given to
 *   `onText` or a raw event to `onEvent`, the SDK error as `cause`. The message is `<provider>/<model>: …` and never contains
 *   the key.
 */
export async function callApi(input: ApiCallInput, signal: AbortSignal, options: CallApiOptions = {}): Promise<ApiTurn | PassthroughTurn> {
  const { provider, model } = input;
  const label = `${provider.id}/${model}`;
  if (signal.aborted) throw new AttemptError('aborted', `${label}: aborted by the caller`);
  if (provider.apiKeyMissing !== undefined)
    throw new AttemptError('config', `${label}: ${provider.apiKeyMissing}; nothing was sent (set the variable, or remove the apiKey)`);
  if (provider.apiKey === undefined && isBuiltinApiProvider(provider.id) && !hasAuthHeader(provider.headers)) {
    throw new AttemptError('auth', `${label}: no API key — set ${apiKeySource(provider.id)}`);
  }
  const timeoutMs = timerMs(provider.timeoutMs ?? input.timeoutMs);
  const clocks = new AttemptClocks(signal, timeoutMs, input.clocks);
  let outputSent = false;
  let answerBytes = 0;
  // Every text delta is counted against the answer cap, before it reaches the caller.
  const onText = (text: string): void => {
    answerBytes += Buffer.byteLength(text, 'utf8');
    if (answerBytes > MAX_ANSWER_BYTES) throw answerTooLarge();
    if (options.onText === undefined) return;
    outputSent = true;
    options.onText(text);
  };
  const gate = options.onEvent === undefined ? undefined : new ContentGate(options.onEvent);
  const onRaw =
    gate === undefined
      ? undefined
      : (event: RawStreamEvent, content: boolean): void => {
          gate.event(event, content);
          outputSent ||= gate.open;
        };
  try {
    if (input.passthrough !== undefined) {
      const hooks = { onEvent: clocks.event, onText, ...(onRaw === undefined ? {} : { onRaw }) };
      const turn = await runPassthrough(provider, input.passthrough, model, clocks.controller.signal, timeoutMs, hooks);
      gate?.flush();
      return turn;
    }
    const images = await inlineImages(input);
    const request = { model, history: input.history, prompt: input.prompt, systemPrompt: input.systemPrompt, images };
    const hooks = { onEvent: clocks.event, onText };
    const turn = await API_RUNNERS[provider.api](provider, request, clocks.controller.signal, timeoutMs, hooks);
    if (turn.text.trim() === '') throw new AttemptError('unknown', `${label}: the provider sent an empty answer`);
    // A text that came whole at the end (Responses `response.completed` without deltas) is capped too.
    if (turn.text.length > MAX_ANSWER_BYTES / 4 && Buffer.byteLength(turn.text, 'utf8') > MAX_ANSWER_BYTES) throw answerTooLarge();
    return turn;
  } catch (error) {
    const expired = clocks.expired;
    throw toApiAttemptError(error, {
      label,
      apiKey: provider.apiKey,
      aborted: signal.aborted,
      timedOut: expired !== undefined,
      timeoutMs,
      ...(expired === undefined ? {} : { timeoutDetail: expiredClockMessage(expired, clocks.expiredAfterMs ?? timeoutMs) }),
      outputSent,
    });
  } finally {
    clocks.clear();
  }
}
