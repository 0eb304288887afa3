/**
 * The reply on stdout of `safetynet agent`: all at once at the end, or streamed as it arrives
 * (`--stream`) with the same bytes in the end. Rationale: `docs/streaming.md#safetynet-agent---stream`.
 */
import type { TextDelta } from '../runtime/request.js';

/**
 * What stdout gets for a reply `text` printed at once: the text, with a final `\n` added when it
 * does not end with one. A streamed reply ends with the same bytes ({@link ReplyStream.finish}).
 */
export function replyOutput(text: string): string {
  return text.endsWith('\n') ? text : `${text}\n`;
}

/**
 * Prints a reply as it arrives (pass {@link ReplyStream.onText} as `RunRequest.onText`), then
 * completes it so that stdout holds exactly {@link replyOutput} of the final text.
 */
export class ReplyStream {
  readonly #write: (text: string) => void;
  readonly #onFirstText: (() => void) | undefined;
  #printed = '';

  /**
   * @param write receives each piece for stdout, in order (e.g. `Io.stdout`).
   * @param onFirstText called once, just before the first piece is written (e.g. to take a live
   *   status line off the terminal the reply is printed on).
   */
  constructor(write: (text: string) => void, onFirstText?: () => void) {
    this.#write = write;
    this.#onFirstText = onFirstText;
  }

  /** `RunRequest.onText`: write the piece now. */
  readonly onText = (delta: TextDelta): void => {
    if (delta.text === '') return;
    if (this.#printed === '') this.#onFirstText?.();
    this.#printed += delta.text;
    this.#write(delta.text);
  };

  /**
   * Complete the reply once the request answered: write what of `text` was not streamed (all of
   * it when the answering CLI does not stream) and the final newline of {@link replyOutput}.
   * `RunResult.text` starts with the streamed text (`RunRequest.onText`); should it not, only the
   * final newline is added (what was printed cannot be taken back).
   */
  finish(text: string): void {
    const whole = replyOutput(text);
    if (whole.startsWith(this.#printed)) {
      const rest = whole.slice(this.#printed.length);
      if (rest !== '') {
        if (this.#printed === '') this.#onFirstText?.();
        this.#write(rest);
      }
    } else if (!this.#printed.endsWith('\n')) this.#write('\n');
    this.#printed = whole;
  }

  /**
   * After a request failed with part of a reply printed (`SAFETYNET_STREAM_INTERRUPTED`): end the
   * partial line with `\n`, so that what follows on the terminal starts on a line of its own.
   * Nothing is written when nothing was streamed.
   */
  abandon(): void {
    if (this.#printed !== '' && !this.#printed.endsWith('\n')) this.#write('\n');
  }
}
