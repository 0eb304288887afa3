/**
 * A passthrough Messages call (`POST /v1/messages`, streaming) through `@anthropic-ai/sdk`: the
 * client's body as it is (tools, `tool_use` / `tool_result` blocks, thinking…), with `model`
 * and `stream: true` replaced. The final `message` is accumulated from the events the way the SDK's `MessageStream.finalMessage()` does
 * (`content_block_start` opens a block, deltas extend it: `text_delta`, `input_json_delta` (the
 * tool input, parsed at the end), `thinking_delta`, `signature_delta`, `citations_delta`;
 * `message_delta` sets `stop_reason` and updates `usage`). A stream that ends before
 * `message_stop` is an {@link ApiStreamError} `truncated`.
 */
import { normalizeUsage } from '../cli/parse/usage.js';
import { ApiStreamError } from './classify-api.js';
import { anthropicClient } from './clients.js';
import type { PassthroughAccumulator, PassthroughProtocol, PassthroughTurn, RawStreamEvent } from './types.js';

type Block = Record<string, unknown>;

/** The final `message` of a Messages event stream, built event by event. */
export class AnthropicMessageAccumulator implements PassthroughAccumulator {
  message: Record<string, unknown> | undefined;
  readonly #content: Block[] = [];
  readonly #json = new Map<number, string>();
  text = '';
  stopped = false;

  /**
   * Fold one event in.
   * @returns the text it adds (`''` for none) and whether it is content (a non-empty delta, or a
   *   block start other than an empty text block).
   */
  add(event: RawStreamEvent): { text: string; content: boolean } {
    const index = typeof event['index'] === 'number' ? event['index'] : -1;
    switch (event['type']) {
      case 'message_start':
        this.message = { ...(event['message'] as Record<string, unknown>), content: this.#content };
        return { text: '', content: false };
      case 'content_block_start': {
        const block = { ...(event['content_block'] as Block) };
        this.#content[index] = block;
        return { text: '', content: block['type'] !== 'text' || (block['text'] ?? '') !== '' };
      }
      case 'content_block_delta':
        return this.#delta(this.#content[index], index, (event['delta'] ?? {}) as Block);
      case 'content_block_stop':
        this.#closeBlock(index);
        return { text: '', content: false };
      case 'message_delta': {
        if (this.message !== undefined) {
          Object.assign(this.message, event['delta'] as Block);
          const usage = event['usage'] as Block | undefined;
          if (usage !== undefined) this.message['usage'] = { ...(this.message['usage'] as Block), ...definedFields(usage) };
        }
        return { text: '', content: false };
      }
      case 'message_stop':
        this.stopped = true;
        return { text: '', content: false };
      default:
        return { text: '', content: false };
    }
  }

  #delta(block: Block | undefined, index: number, delta: Block): { text: string; content: boolean } {
    if (block === undefined) return { text: '', content: false };
    switch (delta['type']) {
      case 'text_delta': {
        const text = String(delta['text'] ?? '');
        block['text'] = String(block['text'] ?? '') + text;
        this.text += text;
        return { text, content: text !== '' };
      }
      case 'input_json_delta':
        this.#json.set(index, (this.#json.get(index) ?? '') + String(delta['partial_json'] ?? ''));
        return { text: '', content: true };
      case 'thinking_delta':
        block['thinking'] = String(block['thinking'] ?? '') + String(delta['thinking'] ?? '');
        return { text: '', content: true };
      case 'signature_delta':
        block['signature'] = delta['signature'];
        return { text: '', content: true };
      case 'citations_delta':
        block['citations'] = [...((block['citations'] as unknown[] | undefined) ?? []), delta['citation']];
        return { text: '', content: true };
      default:
        return { text: '', content: true };
    }
  }

  /**
   * The final message, its text, usage and id.
   * @throws {ApiStreamError} `truncated` when the stream ended before `message_stop`.
   */
  finish(): PassthroughTurn {
    const response = this.message;
    if (!this.stopped || response === undefined) throw new ApiStreamError('truncated', 'the stream ended before message_stop');
    const id = response['id'];
    return { text: this.text, usage: normalizeUsage(response['usage']), responseId: typeof id === 'string' ? id : undefined, response };
  }

  /** A tool block's input is its concatenated JSON deltas (`{}` when none came). */
  #closeBlock(index: number): void {
    const json = this.#json.get(index);
    const block = this.#content[index];
    if (json === undefined || block === undefined) return;
    block['input'] = json.trim() === '' ? {} : JSON.parse(json);
    this.#json.delete(index);
  }
}

function definedFields(record: Block): Block {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined && value !== null));
}

/** The Messages protocol of passthrough calls. */
export const anthropicPassthrough: PassthroughProtocol = {
  async open(provider, body, model, options) {
    const client = await anthropicClient(provider);
    const params = { ...body, model, stream: true } as unknown as Parameters<typeof client.messages.create>[0] & { stream: true };
    return (await client.messages.create(params, options)) as unknown as AsyncIterable<RawStreamEvent>;
  },
  accumulator: () => new AnthropicMessageAccumulator(),
};
