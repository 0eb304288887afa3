/**
 * The Anthropic Messages API (`POST /v1/messages`, streaming) through `@anthropic-ai/sdk`.
 *
 * `messages` are the earlier turns of the conversation (text only, see `./history.ts`), then the
 * new user message (images as base64 `image` blocks before the text); the system prompt is
 * `system`, apart from the messages; `stream: true`. Consecutive turns of one role are merged into
 * one message (texts joined by a blank line), so roles alternate as the Messages API expects; a
 * history ending with a user turn is therefore merged into the new user message, whose text stays
 * last. A history that starts with an `assistant` turn is sent as it is: the SDK's documentation of
 * `messages` (v1.12) asks for alternating turns but not for a leading `user` turn. The raw SSE events are consumed directly (no `MessageStream` helper):
 * text deltas are concatenated, usage is taken from `message_start` and updated by `message_delta`.
 * An `event: error` inside a 200 stream is raised by the SDK as an `APIError` with the error's
 * `type` (`overloaded_error`, `rate_limit_error`, …); a stream that ends without `message_stop` is
 * an {@link ApiStreamError} `truncated`.
 */
import type Anthropic from '@anthropic-ai/sdk';
import type { ResolvedApiProvider } from '../../config/types.js';
import { normalizeUsage } from '../cli/parse/usage.js';
import { ApiStreamError } from './classify-api.js';
import { anthropicClient } from './clients.js';
import { historyMessages, mergeConsecutive } from './history.js';
import type { ApiRequest, ApiStreamHooks, ApiTurn } from './types.js';

/**
 * `max_tokens` of every request (the Messages API requires one). 8192 is accepted by every current
 * Claude model (Claude 3.5 and later); a longer answer ends with `stop_reason: "max_tokens"` and is
 * still returned.
 */
export const ANTHROPIC_MAX_TOKENS = 8192;

type ImageMediaType = 'image/jpeg' | 'image/png' | 'image/gif' | 'image/webp';

/** The request body (exported for tests and benchmarks). */
export function anthropicBody(request: ApiRequest): Anthropic.MessageCreateParamsStreaming {
  const merged = mergeConsecutive([...historyMessages(request.history), { role: 'user', text: request.prompt }]);
  // The last merged message is the new user message (with any user turns right before it).
  const last = merged.pop() ?? { role: 'user', text: request.prompt };
  const earlier = merged.map((message): Anthropic.MessageParam => ({ role: message.role, content: message.text }));
  const content: string | Anthropic.ContentBlockParam[] =
    request.images.length === 0
      ? last.text
      : [
          ...request.images.map(
            (image): Anthropic.ImageBlockParam => ({
              type: 'image',
              source: { type: 'base64', media_type: image.mimeType as ImageMediaType, data: image.data },
            }),
          ),
          { type: 'text', text: last.text },
        ];
  return {
    model: request.model,
    max_tokens: ANTHROPIC_MAX_TOKENS,
    messages: [...earlier, { role: 'user', content }],
    stream: true,
    ...(request.systemPrompt === undefined || request.systemPrompt === '' ? {} : { system: request.systemPrompt }),
  };
}

/**
 * Runs one streaming Messages call.
 *
 * @returns the concatenated text deltas, the usage (`input` = `input_tokens`, `output`, `cacheRead`,
 *   `cacheWrite`) and the message id.
 * @throws the SDK's errors (HTTP status, connection, in-stream `event: error`), or
 *   {@link ApiStreamError} `truncated` when the stream ends before `message_stop`.
 */
export async function runAnthropicMessages(
  provider: ResolvedApiProvider,
  request: ApiRequest,
  signal: AbortSignal,
  timeoutMs: number,
  hooks: ApiStreamHooks = {},
): Promise<ApiTurn> {
  const client = await anthropicClient(provider);
  const stream = await client.messages.create(anthropicBody(request), { signal, timeout: timeoutMs, maxRetries: 0 });
  let text = '';
  let responseId: string | undefined;
  let input: number | null | undefined;
  let output: number | null | undefined;
  let cacheRead: number | null | undefined;
  let cacheWrite: number | null | undefined;
  let stopped = false;
  for await (const event of stream) {
    hooks.onEvent?.();
    switch (event.type) {
      case 'content_block_delta':
        if (event.delta.type === 'text_delta' && event.delta.text !== '') {
          text += event.delta.text;
          hooks.onText?.(event.delta.text);
        }
        break;
      case 'message_start': {
        responseId = event.message.id;
        const usage = event.message.usage;
        input = usage.input_tokens;
        output = usage.output_tokens;
        cacheRead = usage.cache_read_input_tokens;
        cacheWrite = usage.cache_creation_input_tokens;
        break;
      }
      case 'message_delta': {
        const usage = event.usage;
        input = usage.input_tokens ?? input;
        output = usage.output_tokens;
        cacheRead = usage.cache_read_input_tokens ?? cacheRead;
        cacheWrite = usage.cache_creation_input_tokens ?? cacheWrite;
        break;
      }
      case 'message_stop':
        stopped = true;
        break;
      default:
        break;
    }
  }
  // The SDK ends the iteration quietly when the signal aborts mid-stream.
  if (signal.aborted) throw new ApiStreamError('aborted', 'the request was aborted');
  if (!stopped) throw new ApiStreamError('truncated', 'the stream ended before message_stop');
  const usage = normalizeUsage({
    input_tokens: input,
    output_tokens: output,
    cache_read_input_tokens: cacheRead,
    cache_creation_input_tokens: cacheWrite,
  });
  return { text, usage, responseId };
}
