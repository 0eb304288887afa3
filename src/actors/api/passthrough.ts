/**
 * Passthrough API calls: a request that needs what only the provider's own protocol carries
 * (tools, tool results, structured output, non-text blocks) is sent with the client's body to a
 * provider speaking the client's wire format, and its raw stream events go back to the client.
 * This module holds the runner of each format (which provider serves which format:
 * `./passthrough-formats.ts`) and the gate that holds raw events back until the first content
 * event (so a failover before it stays invisible to the client). Rationale: `docs/serve.md#tools-pass-through`.
 */
import type { ResolvedApiProvider } from '../../config/types.js';
import { ApiStreamError } from './classify-api.js';
import { anthropicPassthrough } from './anthropic-passthrough.js';
import { openaiChatPassthrough } from './openai-chat-passthrough.js';
import type { ApiStreamHooks, PassthroughRequest, PassthroughTurn, RawStreamEvent } from './types.js';

/**
 * Streams `passthrough.body` to `provider` with `model`: every event re-arms the clocks
 * (`hooks.onEvent`), goes to `hooks.onRaw` with its content flag, and its text to `hooks.onText`;
 * resolves with the accumulated final message. Sent (the provider's `api` must be
 * `PASSTHROUGH_API[passthrough.format]` of `./passthrough-formats.ts`; the runtime skips other candidates).
 * @throws what the format's runner throws (SDK errors, `ApiStreamError`); the caller classifies it.
 */
export async function runPassthrough(
  provider: ResolvedApiProvider,
  passthrough: PassthroughRequest,
  model: string,
  signal: AbortSignal,
  timeoutMs: number,
  hooks: ApiStreamHooks,
): Promise<PassthroughTurn> {
  const protocol = passthrough.format === 'anthropic-messages' ? anthropicPassthrough : openaiChatPassthrough;
  const { headers } = passthrough;
  const options = { signal, timeout: timeoutMs, maxRetries: 0 as const, ...(headers === undefined ? {} : { headers: { ...headers } }) };
  const stream = await protocol.open(provider, passthrough.body, model, options);
  const answer = protocol.accumulator();
  for await (const event of stream) {
    hooks.onEvent?.();
    const { text, content } = answer.add(event);
    hooks.onRaw?.(event, content);
    if (text !== '') hooks.onText?.(text);
  }
  // The SDKs end the iteration quietly when the signal aborts mid-stream.
  if (signal.aborted) throw new ApiStreamError('aborted', 'the request was aborted');
  return answer.finish();
}

/**
 * Holds one attempt's raw events until its first content event, then hands them on in order, and
 * every later one as it comes. Events held when the attempt fails are dropped with it (the client
 * saw nothing: the next candidate may answer); `flush()` hands on what is held when the attempt
 * succeeded without a content event.
 */
export class ContentGate {
  readonly #sink: (event: RawStreamEvent) => void;
  readonly #held: RawStreamEvent[] = [];
  #open = false;

  /** @param sink - receives the events once the gate is open (exceptions it throws propagate). */
  constructor(sink: (event: RawStreamEvent) => void) {
    this.#sink = sink;
  }

  /** Whether an event was handed on (the attempt's output reached the client). */
  get open(): boolean {
    return this.#open;
  }

  /** One raw event and whether it is content. */
  readonly event = (event: RawStreamEvent, content: boolean): void => {
    if (!this.#open && !content) {
      this.#held.push(event);
      return;
    }
    this.flush();
    this.#sink(event);
  };

  /** Open the gate and hand on the held events. */
  flush(): void {
    this.#open = true;
    for (const event of this.#held.splice(0)) this.#sink(event);
  }
}
