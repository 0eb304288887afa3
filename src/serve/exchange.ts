/**
 * One model request through the runtime, whatever its wire format: abort on client disconnect (or
 * drain), attempts to metrics, the answer as JSON or as a stream (head at the first content), and
 * failures in the client's format with the status of `./status.ts`.
 */
import { randomUUID } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { SafetynetError, type RequestAttempt } from '../errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { RawStreamEvent, RunRequest, RunResult } from '../runtime/request.js';
import type { ServeMetrics } from './metrics.js';
import { SseStream } from './sse.js';
import { problemFor } from './status.js';
import { errorBody, streamErrorEvent, type WireFormat } from './wire-errors.js';

/** The status label of requests whose client disconnected before the answer (nginx's convention). */
export const CLIENT_GONE_STATUS = 499;

/** The message of a request stopped at the end of a drain. */
const SHUTDOWN_MESSAGE = 'safetynet serve is shutting down: the request was stopped at the end of the drain (safetynet.serve.drainSeconds)';

/** What a route made of its body: the runtime request and how the client wants the answer. */
export interface ParsedExchange {
  /** The runtime request, without the parts the exchange adds (`signal`, `onText`, `onEvent`, `onAttempt`). */
  run: Omit<RunRequest, 'signal' | 'onText' | 'onEvent' | 'onAttempt'>;
  /** `stream: true` in the body. */
  stream: boolean;
  /** OpenAI `stream_options.include_usage`: a final usage chunk. */
  includeUsage: boolean;
}

/** How one wire format renders answers (`./openai-chat.ts`, `./anthropic-messages.ts`). */
export interface WireAnswers {
  format: WireFormat;
  /** The route, as the metrics label it. */
  endpoint: string;
  /** The JSON body of a complete answer. */
  body(result: RunResult, id: string): unknown;
  /** The events opening a stream (before any text). */
  streamStart(model: string, id: string): string;
  /** The event carrying one piece of text. */
  streamText(text: string, model: string, id: string): string;
  /** The events closing a complete stream. */
  streamEnd(result: RunResult, id: string, includeUsage: boolean): string;
  /** How passthrough answers (tools) are forwarded: the provider's own objects, model rewritten. */
  passthrough: PassthroughAnswers;
}

/** The passthrough answers of one wire format (the provider speaks the client's format). */
export interface PassthroughAnswers {
  /** The JSON body: the provider's final message object with `model` set to the answering ref. */
  body(response: Record<string, unknown>, model: string): unknown;
  /** The SSE text of one raw provider event (model rewritten); `''` drops it. */
  event(event: RawStreamEvent, model: string, includeUsage: boolean): string;
  /** What closes a complete stream after the provider's last event (OpenAI `[DONE]`). */
  end: string;
}

/** What every exchange of one server shares. */
export interface ExchangeContext {
  runtime: Runtime;
  metrics: ServeMetrics;
  /** Controllers of the requests in flight, aborted when a drain runs out of time. */
  inFlight: Set<AbortController>;
}

/** `x-safetynet-attempts`: each attempt as `<model>=<ok | reason | skipped:reason>`, comma-separated. */
export function attemptsHeader(attempts: readonly RequestAttempt[]): string {
  return attempts
    .map((a) => `${a.model}=${a.ok ? 'ok' : a.skipped ? `skipped:${a.reason ?? 'unknown'}` : (a.reason ?? 'unknown')}`)
    .join(', ')
    .replace(/[^\x20-\x7e]/g, '?');
}

/** Longest `x-safetynet-warning` value, in characters. */
const MAX_WARNING_HEADER = 300;

/** `x-safetynet-warning`: the result's warnings joined by ` | `, printable ASCII, at most 300 characters. */
export function warningHeader(warnings: readonly string[]): string {
  const text = warnings.join(' | ').replace(/[^\x20-\x7e]/g, '?');
  return text.length <= MAX_WARNING_HEADER ? text : `${text.slice(0, MAX_WARNING_HEADER - 3)}...`;
}

/** Answer one model request (the route validated its body and built `parsed`). */
export async function runExchange(context: ExchangeContext, reply: FastifyReply, wire: WireAnswers, parsed: ParsedExchange): Promise<void> {
  const { runtime, metrics } = context;
  const controller = new AbortController();
  const started = performance.now();
  const id = randomUUID().replaceAll('-', '');
  const attempts: RequestAttempt[] = [];
  const stream = new SseStream(reply);
  let streamed = '';
  let done = false;
  let clientGone = false;
  const onClose = () => {
    if (done || reply.raw.writableEnded) return; // the answer was complete: not a disconnect
    clientGone = true;
    controller.abort();
  };
  reply.raw.on('close', onClose);
  context.inFlight.add(controller);
  metrics.inFlight(1);
  const passthrough = parsed.run.passthrough !== undefined;
  const startStream = (model: string) => {
    if (stream.started) return;
    stream.start({ 'x-safetynet-model': model, 'x-safetynet-attempts': attemptsHeader(attempts) });
    metrics.firstToken(performance.now() - started);
    // A passthrough stream is the provider's own, message start included.
    if (!passthrough) stream.write(wire.streamStart(model, id));
  };
  try {
    const result = await runtime.run({
      ...parsed.run,
      signal: controller.signal,
      onAttempt: (attempt) => {
        attempts.push(attempt);
        metrics.attempt(attempt);
      },
      ...(parsed.stream && passthrough
        ? {
            onEvent: ({ event, model }) => {
              if (clientGone) return;
              startStream(model);
              stream.write(wire.passthrough.event(event, model, parsed.includeUsage));
            },
          }
        : {}),
      ...(parsed.stream && !passthrough
        ? {
            onText: (delta) => {
              if (clientGone) return;
              startStream(delta.model);
              streamed += delta.text;
              stream.write(wire.streamText(delta.text, delta.model, id));
            },
          }
        : {}),
    });
    if (result.attempts.length > 1) metrics.fallback();
    const headers = {
      'x-safetynet-model': result.model,
      'x-safetynet-attempts': attemptsHeader(result.attempts),
      'x-safetynet-request-id': result.requestId,
      // The answer stands, but e.g. the turn could not be added to the transcript: say so.
      ...(result.warnings.length === 0 ? {} : { 'x-safetynet-warning': warningHeader(result.warnings) }),
    };
    if (!parsed.stream) {
      const body =
        result.passthrough === undefined ? wire.body(result, id) : wire.passthrough.body(result.passthrough.response, result.model);
      await reply.code(200).headers(headers).send(body);
      return;
    }
    startStream(result.model);
    if (passthrough) {
      stream.write(wire.passthrough.end);
      stream.end();
      return;
    }
    // Without deltas the whole answer goes as one piece; after deltas only what they did not carry.
    const rest = result.text.startsWith(streamed) ? result.text.slice(streamed.length) : '';
    if (rest !== '') stream.write(wire.streamText(rest, result.model, id));
    stream.write(wire.streamEnd(result, id, parsed.includeUsage));
    stream.end();
  } catch (error) {
    if (clientGone) return; // nobody to answer
    const problem = problemFor(error);
    // Aborted while the client is still there: the drain ran out of time.
    if (SafetynetError.is(error) && error.code === 'SAFETYNET_ABORTED') problem.message = SHUTDOWN_MESSAGE;
    if (stream.started) {
      stream.write(streamErrorEvent(wire.format, problem.message));
      stream.end();
      return;
    }
    if (problem.retryAfterSeconds !== undefined) void reply.header('retry-after', String(problem.retryAfterSeconds));
    const failedAttempts = (error as { attempts?: RequestAttempt[] }).attempts ?? attempts;
    if (failedAttempts.length > 0) void reply.header('x-safetynet-attempts', attemptsHeader(failedAttempts));
    await reply.code(problem.status).send(errorBody(wire.format, problem));
  } finally {
    done = true;
    reply.raw.off('close', onClose);
    context.inFlight.delete(controller);
    metrics.inFlight(-1);
    // Answers are counted when they finish (the server's onResponse hook); a gone client never finishes one.
    if (clientGone) metrics.request(wire.endpoint, CLIENT_GONE_STATUS, performance.now() - started);
  }
}
