/**
 * The stub's OpenAI Chat Completions API (`POST /v1/chat/completions`, what the OpenAI SDK's
 * `chat.completions.create` calls): the `chat.completion` object and its SSE stream of
 * `chat.completion.chunk`s ending in `data: [DONE]` (a usage chunk first when
 * `stream_options.include_usage` is set); an in-stream error is a chunk `{ error }`.
 */
import { openaiCodeError, openaiCodeMessage, openaiError } from './openai-errors.js';
import { epochSeconds, isRecord, outputTokens, pieces, type StubProtocol, sse } from './protocol.js';

function chatChunk(id: string, model: string, choices: unknown[], extra: Record<string, unknown> = {}): string {
  return sse(undefined, { id, object: 'chat.completion.chunk', created: epochSeconds(), model, choices, ...extra });
}

function deltaChunk(id: string, model: string, delta: unknown, finish: string | null): string {
  return chatChunk(id, model, [{ index: 0, delta, logprobs: null, finish_reason: finish }]);
}

/** The first chunk of every stream: the assistant role, no content yet. */
function roleChunk(id: string, model: string): string {
  return deltaChunk(id, model, { role: 'assistant', content: '' }, null);
}

function chatUsage(text: string): unknown {
  const out = outputTokens(text);
  return { prompt_tokens: 42, completion_tokens: out, total_tokens: 42 + out };
}

function chatEvents(id: string, model: string, text: string, includeUsage: boolean): string[] {
  const out = [
    roleChunk(id, model),
    ...pieces(text).map((p) => deltaChunk(id, model, { content: p }, null)),
    deltaChunk(id, model, {}, 'stop'),
  ];
  if (includeUsage) out.push(chatChunk(id, model, [], { usage: chatUsage(text) }));
  out.push('data: [DONE]\n\n');
  return out;
}

function chatCompletion(id: string, model: string, text: string): unknown {
  return {
    id,
    object: 'chat.completion',
    created: epochSeconds(),
    model,
    choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: chatUsage(text),
  };
}

/** The OpenAI Chat Completions API of the stub. */
export const openaiCompletions: StubProtocol = {
  api: 'openai-chat',
  kind: 'openai.chat',
  path: /\/chat\/completions$/,
  idPrefix: 'chatcmpl',
  requestIdHeader: 'x-request-id',
  error: openaiError,
  ok({ id, model, text, body, stream }) {
    if (!stream) return { status: 200, json: chatCompletion(id, model, text) };
    const options = body['stream_options'];
    return { events: chatEvents(id, model, text, isRecord(options) && options['include_usage'] === true) };
  },
  keepAlive({ id, model }) {
    return sse(undefined, { id, object: 'chat.completion.chunk', created: epochSeconds(), model });
  },
  streamError({ id, model, stream }, errType) {
    if (!stream) return openaiCodeError(errType);
    const error = { message: openaiCodeMessage(errType), type: errType, param: null, code: errType };
    return { events: [roleChunk(id, model), sse(undefined, { error })] };
  },
};
