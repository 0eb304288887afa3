/**
 * The passthrough requests in flight (`RunRequest.passthrough`), by request id: the API actor of
 * an attempt looks its request up here for the client's body and the raw-event caller
 * (`RunRequest.onEvent`), and the answering call leaves its final message object here for the
 * request's `RunResult.passthrough`. The machine stays unaware of passthrough: it sees an API
 * turn like any other. Also the boundary check of `RunRequest.passthrough`. Rationale: `docs/serve.md#tools-pass-through`.
 */
import type { CallApiOptions } from '../actors/api/call-api.js';
import { PASSTHROUGH_FORMATS } from '../actors/api/passthrough-formats.js';
import { UsageError } from '../errors.js';
import type { ApiTurn, PassthroughFormat, PassthroughRequest, RawStreamEvent } from '../actors/api/types.js';

/** One raw event of a passthrough answer (`RunRequest.onEvent`). */
export interface PassthroughEvent {
  /** The provider's event (Anthropic stream event, or OpenAI `chat.completion.chunk`), as parsed. */
  event: RawStreamEvent;
  /** The model ref producing it, e.g. `anthropic/claude-opus-4-6`. */
  model: string;
}

/** A passthrough request's answer (`RunResult.passthrough`). */
export interface PassthroughResult {
  format: PassthroughFormat;
  /**
   * The provider's final message object (Anthropic `message`, OpenAI `chat.completion`), with tool
   * calls, stop reason and usage as the provider sent them; its `model` is the provider's.
   */
  response: Record<string, unknown>;
}

interface OpenCall {
  request: PassthroughRequest;
  onEvent: ((event: PassthroughEvent) => void) | undefined;
  response?: Record<string, unknown>;
}

/** What one API attempt of a request adds to its input and options (nothing for other requests). */
export interface PassthroughAttempt {
  input: { passthrough?: PassthroughRequest };
  options: Pick<CallApiOptions, 'onEvent'>;
}

const NOT_PASSTHROUGH: PassthroughAttempt = Object.freeze({ input: {}, options: {} });

/** The passthrough requests of one runtime. */
export class PassthroughCalls {
  readonly #calls = new Map<string, OpenCall>();

  /**
   * Register `request` (when it is a passthrough request) for its lifetime.
   * @returns a function that unregisters it.
   */
  open(requestId: string, request: { passthrough?: PassthroughRequest; onEvent?: (event: PassthroughEvent) => void }): () => void {
    if (request.passthrough === undefined) return () => undefined;
    this.#calls.set(requestId, { request: request.passthrough, onEvent: request.onEvent });
    return () => this.#calls.delete(requestId);
  }

  /**
   * The passthrough body and the raw-event hook of one API attempt of `requestId` with `model` (a
   * model ref). Exceptions the caller's `onEvent` throws are ignored.
   */
  attempt(requestId: string | undefined, model: string): PassthroughAttempt {
    const call = requestId === undefined ? undefined : this.#calls.get(requestId);
    if (call === undefined) return NOT_PASSTHROUGH;
    const sink = call.onEvent;
    if (sink === undefined) return { input: { passthrough: call.request }, options: {} };
    const onEvent = (event: RawStreamEvent) => {
      try {
        sink({ event, model });
      } catch {
        // a broken client must not fail the attempt
      }
    };
    return { input: { passthrough: call.request }, options: { onEvent } };
  }

  /** Keep the final message of an answered attempt (the last one is the request's answer). */
  answered(requestId: string | undefined, turn: ApiTurn & { response?: Record<string, unknown> }): void {
    const call = requestId === undefined ? undefined : this.#calls.get(requestId);
    if (call !== undefined && turn.response !== undefined) call.response = turn.response;
  }

  /** The `RunResult.passthrough` of `requestId`, when it is a passthrough request that was answered. */
  result(requestId: string): PassthroughResult | undefined {
    const call = this.#calls.get(requestId);
    return call?.response === undefined ? undefined : { format: call.request.format, response: call.response };
  }
}

/** @throws {UsageError} `SAFETYNET_USAGE` for a passthrough that is not `{ format, body, headers? }` of a known format. */
export function validatePassthrough(passthrough: PassthroughRequest): void {
  const format = (passthrough as { format?: unknown } | null)?.format;
  if (!PASSTHROUGH_FORMATS.includes(format as PassthroughFormat))
    throw new UsageError(
      `request.passthrough.format: expected one of ${PASSTHROUGH_FORMATS.join(', ')}, received ${JSON.stringify(format)}`,
    );
  const body: unknown = passthrough.body;
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new UsageError('request.passthrough.body: expected the JSON object of the request body');
  const headers: unknown = passthrough.headers;
  if (
    headers !== undefined &&
    (typeof headers !== 'object' || headers === null || Object.values(headers).some((value) => typeof value !== 'string'))
  )
    throw new UsageError('request.passthrough.headers: expected an object of string header values');
}
