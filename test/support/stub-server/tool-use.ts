/**
 * The stub's `tooluse` mode: the model answers with a tool call only (no text), for the first
 * tool the request offers (`get_weather` when it offers none), with the input `{"city":"Paris"}`.
 * Anthropic: a `tool_use` content block (`stop_reason: "tool_use"`; streamed as
 * `content_block_start` + `input_json_delta` pieces). Chat Completions: `message.tool_calls`
 * (`finish_reason: "tool_calls"`; streamed as `delta.tool_calls` pieces, the usage chunk when
 * `stream_options.include_usage` is set). Other APIs answer their normal `ok` reply.
 */
import { epochSeconds, isRecord, type ReplyContext, type StubReply, sse } from './protocol.js';
import type { StubApi } from './types.js';

/** The tool input every `tooluse` answer carries. */
export const STUB_TOOL_INPUT = { city: 'Paris' };
const ARGUMENTS = JSON.stringify(STUB_TOOL_INPUT);
/** The JSON arguments in the pieces they are streamed in. */
const ARGUMENT_PIECES = [ARGUMENTS.slice(0, 8), ARGUMENTS.slice(8)];

/** The name of the first tool offered (Anthropic `tools[0].name`, Chat `tools[0].function.name`). */
function toolName(body: Record<string, unknown>): string {
  const first = Array.isArray(body['tools']) ? body['tools'][0] : undefined;
  if (!isRecord(first)) return 'get_weather';
  const fn = isRecord(first['function']) ? first['function'] : first;
  return typeof fn['name'] === 'string' ? fn['name'] : 'get_weather';
}

function anthropicToolUse({ id, model, body, stream }: ReplyContext): StubReply {
  const usage = { input_tokens: 30, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 12 };
  const block = { type: 'tool_use', id: `toolu_${id}`, name: toolName(body), input: STUB_TOOL_INPUT };
  const message = { id, type: 'message', role: 'assistant', model, stop_sequence: null };
  if (!stream) return { status: 200, json: { ...message, content: [block], stop_reason: 'tool_use', usage } };
  return {
    events: [
      sse('message_start', { type: 'message_start', message: { ...message, content: [], stop_reason: null, usage } }),
      sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { ...block, input: {} } }),
      sse('ping', { type: 'ping' }),
      ...ARGUMENT_PIECES.map((partial_json) =>
        sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json } }),
      ),
      sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
      sse('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: 'tool_use', stop_sequence: null },
        usage: { output_tokens: 12 },
      }),
      sse('message_stop', { type: 'message_stop' }),
    ],
  };
}

function chatToolCalls({ id, model, body, stream }: ReplyContext): StubReply {
  const usage = { prompt_tokens: 50, completion_tokens: 12, total_tokens: 62 };
  const call = { id: `call_${id}`, type: 'function', function: { name: toolName(body), arguments: ARGUMENTS } };
  const head = { id, created: epochSeconds(), model };
  if (!stream) {
    const message = { role: 'assistant', content: null, refusal: null, tool_calls: [call] };
    return {
      status: 200,
      json: { ...head, object: 'chat.completion', choices: [{ index: 0, message, logprobs: null, finish_reason: 'tool_calls' }], usage },
    };
  }
  const chunk = (delta: unknown, finish: string | null) =>
    sse(undefined, { ...head, object: 'chat.completion.chunk', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const options = body['stream_options'];
  const events = [
    chunk({ role: 'assistant', content: null }, null),
    chunk({ tool_calls: [{ index: 0, id: call.id, type: 'function', function: { name: call.function.name, arguments: '' } }] }, null),
    ...ARGUMENT_PIECES.map((piece) => chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null)),
    chunk({}, 'tool_calls'),
  ];
  if (isRecord(options) && options['include_usage'] === true)
    events.push(sse(undefined, { ...head, object: 'chat.completion.chunk', choices: [], usage }));
  events.push('data: [DONE]\n\n');
  return { events };
}

/** The `tooluse` answer of `api`, or `undefined` for an API without one (it answers `ok`). */
export function toolUseReply(api: StubApi, ctx: ReplyContext): StubReply | undefined {
  if (api === 'anthropic') return anthropicToolUse(ctx);
  if (api === 'openai-chat') return chatToolCalls(ctx);
  return undefined;
}
