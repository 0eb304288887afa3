/**
 * The streaming callers of running requests (`RunRequest.onText`), by request id: the API and CLI
 * actors look up their request's caller here and hand it the answer text as it arrives.
 * Rationale: `docs/streaming.md`.
 */
import type { TextDelta } from './request.js';

/** What an attempt gets to stream its text: absent when the request is not streamed. */
export interface AttemptTextHooks {
  onText?: (text: string) => void;
}

const NOT_STREAMED: AttemptTextHooks = Object.freeze({});

/** The `onText` callers of the running requests. */
export class AnswerStreams {
  readonly #sinks = new Map<string, (delta: TextDelta) => void>();

  /**
   * Register the caller of `requestId` for the request's lifetime.
   * @returns a function that unregisters it.
   */
  open(requestId: string, onText: ((delta: TextDelta) => void) | undefined): () => void {
    if (onText === undefined) return () => undefined;
    this.#sinks.set(requestId, onText);
    return () => this.#sinks.delete(requestId);
  }

  /**
   * The hooks of one attempt of `requestId` with `model`: each piece of text goes to the caller as
   * `{ text, model }`. Exceptions the caller throws are ignored (a broken client must not fail the
   * attempt; the HTTP server notices its own disconnects).
   */
  attempt(requestId: string | undefined, model: string): AttemptTextHooks {
    const sink = requestId === undefined ? undefined : this.#sinks.get(requestId);
    if (sink === undefined) return NOT_STREAMED;
    return {
      onText: (text) => {
        try {
          sink({ text, model });
        } catch {
          // ignored, see above
        }
      },
    };
  }
}
