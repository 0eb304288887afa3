/**
 * The OpenAI Responses API (`POST /responses`, streaming) through the `openai` SDK.
 *
 * `input` is the prompt alone when there is neither history nor an image; otherwise a list of
 * input messages (`EasyInputMessage`): the earlier turns of the conversation (one text message
 * each, see `./history.ts`), then the new user message (with `input_image` data URLs before the
 * `input_text` when it has images). The system prompt is `instructions`, `stream: true`. Text comes from
 * `response.output_text.delta`; usage and the id from `response.completed`. The SDK yields
 * `response.failed` and `error` events as ordinary events, so they are raised here as
 * {@link ApiStreamError}s carrying the error's code (`server_error`, `rate_limit_exceeded`, …). A
 * stream that ends without `response.completed`/`response.incomplete` is `truncated`.
 */
import type OpenAI from 'openai';
import type { ResolvedApiProvider } from '../../config/types.js';
import { usageWithCachedInput } from '../cli/parse/usage.js';
import type { Usage } from '../types.js';
import { ApiStreamError } from './classify-api.js';
import { openaiClient } from './clients.js';
import { historyMessages } from './history.js';
import type { ApiRequest, ApiStreamHooks, ApiTurn } from './types.js';

/** The new user message as an input message: the prompt, or its images before an `input_text`. */
function userMessage(request: ApiRequest): OpenAI.Responses.EasyInputMessage {
  if (request.images.length === 0) return { role: 'user', content: request.prompt };
  return {
    role: 'user',
    content: [
      ...request.images.map(
        (image): OpenAI.Responses.ResponseInputImage => ({
          type: 'input_image',
          detail: 'auto',
          image_url: `data:${image.mimeType};base64,${image.data}`,
        }),
      ),
      { type: 'input_text', text: request.prompt },
    ],
  };
}

/** The request body (exported for tests and benchmarks). */
export function responsesBody(request: ApiRequest): OpenAI.Responses.ResponseCreateParamsStreaming {
  const earlier = historyMessages(request.history).map(({ role, text }): OpenAI.Responses.EasyInputMessage => ({ role, content: text }));
  const input: string | OpenAI.Responses.ResponseInput =
    earlier.length === 0 && request.images.length === 0 ? request.prompt : [...earlier, userMessage(request)];
  return {
    model: request.model,
    input,
    stream: true,
    ...(request.systemPrompt === undefined || request.systemPrompt === '' ? {} : { instructions: request.systemPrompt }),
  };
}

/** Usage of a Responses usage object; `input` excludes `input_tokens_details.cached_tokens`. */
export function responsesUsage(usage: OpenAI.Responses.ResponseUsage | null | undefined): Usage | undefined {
  if (usage === null || usage === undefined) return undefined;
  const cached = usage.input_tokens_details?.cached_tokens;
  return usageWithCachedInput({ input: usage.input_tokens, cached, output: usage.output_tokens, total: usage.total_tokens });
}

/** The text of the `output_text` parts of a finished response (used when no deltas were streamed). */
function outputText(response: OpenAI.Responses.Response): string {
  let text = '';
  for (const item of response.output ?? []) {
    if (item.type !== 'message') continue;
    for (const part of item.content) if (part.type === 'output_text') text += part.text;
  }
  return text;
}

/**
 * Runs one streaming Responses call.
 *
 * @returns the text, the usage and the response id. A `response.incomplete` with text returns the
 *   text (e.g. `max_output_tokens`); without text it is a failure.
 * @throws the SDK's errors, or {@link ApiStreamError} for `response.failed`, `error`, an empty
 *   `response.incomplete` and a truncated stream.
 */
export async function runOpenAIResponses(
  provider: ResolvedApiProvider,
  request: ApiRequest,
  signal: AbortSignal,
  timeoutMs: number,
  hooks: ApiStreamHooks = {},
): Promise<ApiTurn> {
  const client = await openaiClient(provider);
  const stream = await client.responses.create(responsesBody(request), { signal, timeout: timeoutMs, maxRetries: 0 });
  let text = '';
  let responseId: string | undefined;
  let final: OpenAI.Responses.Response | undefined;
  for await (const event of stream) {
    hooks.onEvent?.();
    switch (event.type) {
      case 'response.output_text.delta':
        if (event.delta !== '') {
          text += event.delta;
          hooks.onText?.(event.delta);
        }
        break;
      case 'response.created':
        responseId = event.response.id;
        break;
      case 'response.completed':
        final = event.response;
        break;
      case 'response.incomplete':
        final = event.response;
        if (text === '') {
          const why = event.response.incomplete_details?.reason ?? 'unknown';
          throw new ApiStreamError('response.incomplete', `the response is incomplete (${why})`, why);
        }
        break;
      case 'response.failed': {
        const error = event.response.error;
        throw new ApiStreamError('response.failed', error?.message ?? 'the response failed', error?.code ?? undefined);
      }
      case 'error':
        throw new ApiStreamError('error', event.message, event.code ?? undefined);
      default:
        break;
    }
  }
  if (signal.aborted) throw new ApiStreamError('aborted', 'the request was aborted');
  if (final === undefined) throw new ApiStreamError('truncated', 'the stream ended before response.completed');
  return { text: text === '' ? outputText(final) : text, usage: responsesUsage(final.usage), responseId: final.id ?? responseId };
}
