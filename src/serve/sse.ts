/**
 * The stream writer of a streaming answer: Server-Sent Events on the raw response, with the head
 * (200, `text/event-stream`) written only when the first content is ready. Until then nothing has
 * reached the client, so a failover stays invisible and an early failure still gets a real status.
 */
import type { FastifyReply } from 'fastify';

/** One streaming answer on a raw HTTP response. */
export class SseStream {
  readonly #reply: FastifyReply;
  #open = false;

  constructor(reply: FastifyReply) {
    this.#reply = reply;
  }

  /** Whether the head was written (from then on only SSE text can follow). */
  get started(): boolean {
    return this.#open;
  }

  /**
   * Take the response over from Fastify and write the head (200, `text/event-stream`, no caching,
   * plus `headers`, e.g. the answering model). Idempotent.
   */
  start(headers: Record<string, string>): void {
    if (this.#open) return;
    this.#open = true;
    this.#reply.hijack();
    const raw = this.#reply.raw;
    // Headers Fastify hooks set (CORS) are on the reply, not yet on the raw response.
    const fromHooks = this.#reply.getHeaders() as Record<string, string>;
    raw.writeHead(200, {
      ...fromHooks,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
      ...headers,
    });
    raw.flushHeaders();
  }

  /** Write SSE text (whole events) unless the client has gone. */
  write(text: string): void {
    const raw = this.#reply.raw;
    if (!raw.destroyed && !raw.writableEnded) raw.write(text);
  }

  /** End the response (after the last event). */
  end(): void {
    const raw = this.#reply.raw;
    if (!raw.writableEnded) raw.end();
  }
}

/** One SSE event: `event: <name>` (when given) and `data: <json>`. */
export function sseEvent(data: unknown, event?: string): string {
  return `${event === undefined ? '' : `event: ${event}\n`}data: ${JSON.stringify(data)}\n\n`;
}
