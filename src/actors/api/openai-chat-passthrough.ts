/**
 * A passthrough Chat Completions call (`POST /chat/completions`, streaming) through the `openai`
 * SDK: the client's body as it is (`tools`, `tool_choice`, `response_format`, `tool` messages…),
 * with `model` and `stream: true` replaced and `stream_options.include_usage` set (the final
 * object needs the usage; serve drops the usage chunk for a client that did not ask for it).
 * The final `chat.completion` is accumulated from the chunks the way the SDK's
 * `ChatCompletionStream.finalChatCompletion()` does: per choice, `content` and `refusal` are
 * concatenated and each `tool_calls[i]` is opened by its first delta (id, type,
 * function name) and extended by `function.arguments` pieces. No `finish_reason` is an
 * {@link ApiStreamError} `truncated`.
 */
import { ApiStreamError } from './classify-api.js';
import { openaiClient } from './clients.js';
import { completionsUsage } from './openai-completions.js';
import type { PassthroughAccumulator, PassthroughProtocol, PassthroughTurn, RawStreamEvent } from './types.js';

type Json = Record<string, unknown>;
interface ToolCall {
  index: number;
  id?: string;
  type: string;
  function: { name: string; arguments: string };
}
interface Choice {
  index: number;
  message: { role: string; content: string | null; refusal: string | null; tool_calls?: ToolCall[] };
  logprobs: null;
  finish_reason: string | null;
}

/** The final `chat.completion` of a chunk stream, built chunk by chunk. */
export class ChatCompletionAccumulator implements PassthroughAccumulator {
  readonly #head: Json = {};
  readonly #choices: Choice[] = [];
  #usage: unknown;
  #text = '';
  finished = false;

  /**
   * Fold one chunk in.
   * @returns the text of the first choice it adds (`''` for none) and whether it is content (a
   *   non-empty content or refusal delta, or a tool call delta).
   */
  add(chunk: RawStreamEvent): { text: string; content: boolean } {
    for (const key of ['id', 'created', 'model', 'system_fingerprint', 'service_tier'])
      if (chunk[key] !== undefined && chunk[key] !== null) this.#head[key] ??= chunk[key];
    if (chunk['usage'] !== undefined && chunk['usage'] !== null) this.#usage = chunk['usage'];
    let text = '';
    let content = false;
    for (const part of (chunk['choices'] as Json[] | undefined) ?? []) {
      const index = typeof part['index'] === 'number' ? part['index'] : 0;
      this.#choices[index] ??= { index, message: { role: 'assistant', content: null, refusal: null }, logprobs: null, finish_reason: null };
      const choice = this.#choices[index];
      const delta = (part['delta'] ?? {}) as Json;
      if (typeof delta['content'] === 'string' && delta['content'] !== '') {
        choice.message.content = (choice.message.content ?? '') + delta['content'];
        if (index === 0) text += delta['content'];
        content = true;
      }
      if (typeof delta['refusal'] === 'string' && delta['refusal'] !== '') {
        choice.message.refusal = (choice.message.refusal ?? '') + delta['refusal'];
        content = true;
      }
      for (const call of (delta['tool_calls'] as Json[] | undefined) ?? []) {
        this.#toolCall(choice, call);
        content = true;
      }
      if (typeof part['finish_reason'] === 'string') {
        choice.finish_reason = part['finish_reason'];
        this.finished = true;
      }
    }
    this.#text += text;
    return { text, content };
  }

  #toolCall(choice: Choice, delta: Json): void {
    choice.message.tool_calls ??= [];
    const calls = choice.message.tool_calls;
    const index = typeof delta['index'] === 'number' ? delta['index'] : calls.length;
    const fn = (delta['function'] ?? {}) as Json;
    let call = calls.find((entry) => entry.index === index);
    if (call === undefined) {
      call = { index, type: typeof delta['type'] === 'string' ? delta['type'] : 'function', function: { name: '', arguments: '' } };
      calls.push(call);
    }
    if (typeof delta['id'] === 'string') call.id = delta['id'];
    if (typeof fn['name'] === 'string') call.function.name += fn['name'];
    if (typeof fn['arguments'] === 'string') call.function.arguments += fn['arguments'];
  }

  /**
   * The final `chat.completion`, the first choice's text, usage and id.
   * @throws {ApiStreamError} `truncated` when no `finish_reason` arrived.
   */
  finish(): PassthroughTurn {
    if (!this.finished) throw new ApiStreamError('truncated', 'the stream ended before a finish_reason');
    const response = this.completion();
    const usage = completionsUsage(response['usage'] as Parameters<typeof completionsUsage>[0]);
    return { text: this.#text, usage, responseId: typeof response['id'] === 'string' ? response['id'] : undefined, response };
  }

  /** The `chat.completion` object (tool calls without their stream `index`). */
  completion(): Json {
    const choices = this.#choices.map((choice) => {
      const calls = choice.message.tool_calls?.map(({ index: _index, ...call }) => call);
      return { ...choice, message: { ...choice.message, ...(calls === undefined ? {} : { tool_calls: calls }) } };
    });
    return { ...this.#head, object: 'chat.completion', choices, ...(this.#usage === undefined ? {} : { usage: this.#usage }) };
  }
}

/** The Chat Completions protocol of passthrough calls. */
export const openaiChatPassthrough: PassthroughProtocol = {
  async open(provider, body, model, options) {
    const client = await openaiClient(provider);
    const streamOptions = (body['stream_options'] ?? {}) as Json;
    const params = { ...body, model, stream: true, stream_options: { ...streamOptions, include_usage: true } };
    return (await client.chat.completions.create(params as never, options)) as unknown as AsyncIterable<RawStreamEvent>;
  },
  accumulator: () => new ChatCompletionAccumulator(),
};
