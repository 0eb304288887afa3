/**
 * OpenAI Chat Completions (`POST /chat/completions`, streaming) through the `openai` SDK: the
 * protocol most OpenAI-compatible servers speak (llama.cpp, vLLM, Ollama).
 *
 * Messages: an optional `system` message, the earlier turns of the conversation (one text message
 * each, see `./history.ts`), then the new `user` message (images as `image_url` data URLs before
 * the text). `stream_options.include_usage` asks for the final usage chunk. An
 * `{ "error": … }` chunk inside a 200 stream is raised by the SDK as an `APIError` with the error's
 * `code`; a stream that ends before any `finish_reason` is an {@link ApiStreamError} `truncated`.
 * Chunks are read defensively (servers send what they like): a chunk without a `choices` array
 * carries no text, a chunk that is not an object is an {@link ApiStreamError} `malformed`.
 */
import type OpenAI from 'openai';
import type { ResolvedApiProvider } from '../../config/types.js';
import { usageWithCachedInput } from '../cli/parse/usage.js';
import type { Usage } from '../types.js';
import { ApiStreamError } from './classify-api.js';
import { openaiClient } from './clients.js';
import { historyMessages, type TextMessage } from './history.js';
import type { ApiRequest, ApiStreamHooks, ApiTurn } from './types.js';

type ChatParams = OpenAI.Chat.Completions.ChatCompletionCreateParamsStreaming;
type ChatMessage = OpenAI.Chat.Completions.ChatCompletionMessageParam;
type ChatPart = OpenAI.Chat.Completions.ChatCompletionContentPart;

/** An earlier turn as a Chat message of its role. */
function chatMessage({ role, text }: TextMessage): ChatMessage {
  return role === 'user' ? { role: 'user', content: text } : { role: 'assistant', content: text };
}

/** The request body (exported for tests and benchmarks). */
export function completionsBody(request: ApiRequest): ChatParams {
  const messages: ChatMessage[] = [];
  if (request.systemPrompt !== undefined && request.systemPrompt !== '') messages.push({ role: 'system', content: request.systemPrompt });
  for (const message of historyMessages(request.history)) messages.push(chatMessage(message));
  const content: string | ChatPart[] =
    request.images.length === 0
      ? request.prompt
      : [
          ...request.images.map(
            (image): ChatPart => ({ type: 'image_url', image_url: { url: `data:${image.mimeType};base64,${image.data}` } }),
          ),
          { type: 'text', text: request.prompt },
        ];
  messages.push({ role: 'user', content });
  return { model: request.model, messages, stream: true, stream_options: { include_usage: true } };
}

/** Usage of a Chat usage object; `input` excludes `prompt_tokens_details.cached_tokens`. */
export function completionsUsage(usage: OpenAI.CompletionUsage | null | undefined): Usage | undefined {
  if (usage === null || usage === undefined) return undefined;
  const cached = usage.prompt_tokens_details?.cached_tokens;
  return usageWithCachedInput({ input: usage.prompt_tokens, cached, output: usage.completion_tokens, total: usage.total_tokens });
}

/**
 * Runs one streaming Chat Completions call.
 *
 * @returns the concatenated `delta.content` of the first choice, the usage and the completion id.
 * @throws the SDK's errors (HTTP status, connection, in-stream error chunk), or
 *   {@link ApiStreamError} `truncated` when no `finish_reason` arrived, `malformed` for a chunk
 *   that is not a JSON object.
 */
export async function runOpenAICompletions(
  provider: ResolvedApiProvider,
  request: ApiRequest,
  signal: AbortSignal,
  timeoutMs: number,
  hooks: ApiStreamHooks = {},
): Promise<ApiTurn> {
  const client = await openaiClient(provider);
  const stream = await client.chat.completions.create(completionsBody(request), { signal, timeout: timeoutMs, maxRetries: 0 });
  let text = '';
  let responseId: string | undefined;
  let finished = false;
  let usage: Usage | undefined;
  for await (const chunk of stream) {
    hooks.onEvent?.();
    // The SDK yields whatever JSON a `data:` line held: a non-object is a malformed stream; an object
    // without `choices` (a proxy's keep-alive, a usage-only chunk) carries no text.
    if (typeof chunk !== 'object' || chunk === null) throw new ApiStreamError('malformed', 'a stream chunk is not a JSON object');
    responseId ??= typeof chunk.id === 'string' ? chunk.id : undefined;
    const choice = Array.isArray(chunk.choices) ? chunk.choices[0] : undefined;
    if (choice !== undefined) {
      const delta = choice.delta?.content;
      if (typeof delta === 'string' && delta !== '') {
        text += delta;
        hooks.onText?.(delta);
      }
      if (choice.finish_reason !== null && choice.finish_reason !== undefined) finished = true;
    }
    if (chunk.usage !== null && chunk.usage !== undefined) usage = completionsUsage(chunk.usage);
  }
  if (signal.aborted) throw new ApiStreamError('aborted', 'the request was aborted');
  if (!finished) throw new ApiStreamError('truncated', 'the stream ended before a finish_reason');
  return { text, usage, responseId };
}
