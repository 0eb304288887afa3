/**
 * The stub's OpenAI Responses API (`POST /v1/responses`, what `codex` and the OpenAI SDK's
 * `responses.create` call): the `response` object and its SSE stream `response.created` …
 * `response.completed`, with `sequence_number`s; an in-stream error is `response.failed`.
 */
import { openaiCodeError, openaiCodeMessage, openaiError } from './openai-errors.js';
import { epochSeconds, outputTokens, pieces, type StubProtocol, sse } from './protocol.js';

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
    created_at: epochSeconds(),
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

/** `response.created`, the first event of every stream (its `sequence_number` is 0). */
function createdEvent(id: string, model: string): string {
  return sse('response.created', {
    type: 'response.created',
    sequence_number: 0,
    response: responseObject(id, model, 'in_progress', [], null),
  });
}

function responsesEvents(id: string, model: string, text: string): string[] {
  const itemId = `msg_${id}`;
  let seq = 1;
  const ev = (type: string, data: Record<string, unknown>): string => sse(type, { type, sequence_number: seq++, ...data });
  const done = messageItem(itemId, text, 'completed');
  const part = { type: 'output_text', text, annotations: [] };
  const at = { item_id: itemId, output_index: 0, content_index: 0 };
  return [
    createdEvent(id, model),
    ev('response.in_progress', { response: responseObject(id, model, 'in_progress', [], null) }),
    ev('response.output_item.added', { output_index: 0, item: messageItem(itemId, text, 'in_progress') }),
    ev('response.content_part.added', { ...at, part: { type: 'output_text', text: '', annotations: [] } }),
    ...pieces(text).map((p) => ev('response.output_text.delta', { ...at, delta: p, logprobs: [] })),
    ev('response.output_text.done', { ...at, text, logprobs: [] }),
    ev('response.content_part.done', { ...at, part }),
    ev('response.output_item.done', { output_index: 0, item: done }),
    ev('response.completed', { response: responseObject(id, model, 'completed', [done], openaiUsage(text)) }),
  ];
}

/** The OpenAI Responses API of the stub. */
export const openaiResponses: StubProtocol = {
  api: 'openai-responses',
  kind: 'openai.responses',
  path: /\/responses$/,
  idPrefix: 'resp',
  requestIdHeader: 'x-request-id',
  error: openaiError,
  ok({ id, model, text, stream }) {
    if (stream) return { events: responsesEvents(id, model, text) };
    const json = responseObject(id, model, 'completed', [messageItem(`msg_${id}`, text, 'completed')], openaiUsage(text));
    json['output_text'] = text;
    return { status: 200, json };
  },
  streamError({ id, model, stream }, errType) {
    if (!stream) return openaiCodeError(errType);
    const failed = responseObject(id, model, 'failed', [], null);
    failed['error'] = { code: errType, message: openaiCodeMessage(errType) };
    return { events: [createdEvent(id, model), sse('response.failed', { type: 'response.failed', sequence_number: 1, response: failed })] };
  },
};
