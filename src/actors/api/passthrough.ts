/**
 * Passthrough API calls: a request that needs what only the provider's own protocol carries
 * (tools, tool results, structured output, non-text blocks) is sent with the client's body to a
 * provider speaking the client's wire format, and its raw stream events go back to the client.
 * This module holds the runner of each format (which provider serves which format:
 * `./passthrough-formats.ts`) and the gate that holds raw events back until the first content
 * event (so a failover before it stays invisible to the client). Rationale: `docs/serve.md#tools-pass-through`.
 */
import type { ResolvedApiProvider } from '../../config/types.js';
import { runAnthropicPassthrough } from './anthropic-passthrough.js';
import { runOpenAIChatPassthrough } from './openai-chat-passthrough.js';
import type { ApiStreamHooks, PassthroughRequest, PassthroughTurn, RawStreamEvent } from './types.js';

/**
 * Sends `passthrough.body` to `provider` with `model` (the provider's `api` must be
 * `PASSTHROUGH_API[passthrough.format]` of `./passthrough-formats.ts`; the runtime skips other candidates).
 * @throws what the format's runner throws (SDK errors, `ApiStreamError`); the caller classifies it.
 */
export function runPassthrough(
  provider: ResolvedApiProvider,
  passthrough: PassthroughRequest,
  model: string,
  signal: AbortSignal,
  timeoutMs: number,
  hooks: ApiStreamHooks,
): Promise<PassthroughTurn> {
  const run = passthrough.format === 'anthropic-messages' ? runAnthropicPassthrough : runOpenAIChatPassthrough;
  return run(provider, passthrough.body, model, signal, timeoutMs, hooks);
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
