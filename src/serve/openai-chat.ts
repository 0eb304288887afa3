/**
 * `POST /v1/chat/completions`: the OpenAI Chat Completions wire format. The body schema (checked by
 * Fastify before the handler), the mapping to a runtime request, and the answers: a
 * `chat.completion`, or `chat.completion.chunk` events ending with `data: [DONE]`.
 */
import type { FastifyRequest } from 'fastify';
import { UsageError } from '../errors.js';
import type { MessagePart } from '../conversation/messages.js';
import type { ChatMessage } from '../runtime/request.js';
import type { ParsedExchange, WireAnswers } from './exchange.js';
import { hasAnyField, sessionKeyOf } from './request-fields.js';
import { sseEvent } from './sse.js';

const contentSchema = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'object', required: ['type'] } }, { type: 'null' }] };

/** The JSON schema of the body (the fields safetynet reads; others are allowed and not read). */
export const chatCompletionsSchema = {
  type: 'object',
  required: ['model', 'messages'],
  properties: {
    model: { type: 'string', minLength: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role'],
        properties: {
          role: { type: 'string', enum: ['system', 'developer', 'user', 'assistant', 'tool', 'function'] },
          content: contentSchema,
        },
      },
    },
    stream: { type: ['boolean', 'null'] },
    stream_options: { type: ['object', 'null'], properties: { include_usage: { type: 'boolean' } } },
    user: { type: 'string' },
    n: { type: ['integer', 'null'], minimum: 1, maximum: 1 },
  },
} as const;

/** Fields that need tools or structured output: the request passes through (`docs/serve.md#tools-pass-through`). */
const PASSTHROUGH_FIELDS = ['tools', 'tool_choice', 'functions', 'function_call', 'response_format', 'parallel_tool_calls'];

interface ChatBody {
  model: string;
  messages: Array<{ role: string; content?: string | Array<Record<string, unknown>> | null; tool_calls?: unknown }>;
  stream?: boolean | null;
  stream_options?: { include_usage?: boolean } | null;
  user?: string;
}

/**
 * Whether the body needs a passthrough: tools or structured output, `tool` / `function` messages,
 * assistant `tool_calls`, or content parts other than text and images (audio, files).
 */
function needsPassthrough(body: ChatBody): boolean {
  if (hasAnyField(body as unknown as Record<string, unknown>, PASSTHROUGH_FIELDS)) return true;
  return body.messages.some(
    (message) =>
      message.role === 'tool' ||
      message.role === 'function' ||
      (message.tool_calls !== undefined && message.tool_calls !== null) ||
      (Array.isArray(message.content) && message.content.some((part) => part['type'] !== 'text' && part['type'] !== 'image_url')),
  );
}

/**
 * The runtime request of a validated body. `developer` messages count as `system`. A body that
 * needs tools (see `needsPassthrough`) becomes a passthrough request of format `openai-chat`.
 * @throws {UsageError} `SAFETYNET_USAGE` naming the field, for a malformed text or image part.
 */
export function parseChatCompletions(request: FastifyRequest): ParsedExchange {
  const body = request.body as ChatBody;
  const sessionKey = sessionKeyOf(request, body.user);
  const exchange = { stream: body.stream === true, includeUsage: body.stream_options?.include_usage === true };
  const session = sessionKey === undefined ? {} : { sessionKey };
  if (needsPassthrough(body)) {
    const passthrough = { format: 'openai-chat' as const, body: body as unknown as Record<string, unknown> };
    return { run: { model: body.model, passthrough, ...session }, ...exchange };
  }
  const messages = body.messages.map((message, i): ChatMessage => {
    const at = `messages[${i}]`;
    const role = message.role === 'developer' ? 'system' : (message.role as ChatMessage['role']);
    const content = message.content ?? '';
    if (typeof content === 'string') return { role, content };
    return { role, content: content.map((part, j) => chatPart(part, `${at}.content[${j}]`)) };
  });
  return { run: { model: body.model, messages, ...session }, ...exchange };
}

function chatPart(part: Record<string, unknown>, at: string): MessagePart {
  if (part['type'] === 'text' && typeof part['text'] === 'string') return { type: 'text', text: part['text'] };
  if (part['type'] === 'image_url') return { type: 'image_url', image_url: part['image_url'] as { url: string } };
  throw new UsageError(`${at}.type: only "text" and "image_url" parts are supported, received ${JSON.stringify(part['type'])}`);
}

const created = () => Math.floor(Date.now() / 1000);

function usageOf(result: { usage?: { input?: number; output?: number } }) {
  const prompt = result.usage?.input ?? 0;
  const completion = result.usage?.output ?? 0;
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function chunk(id: string, model: string, delta: Record<string, unknown>, finish: string | null): string {
  return sseEvent({
    id: `chatcmpl-${id}`,
    object: 'chat.completion.chunk',
    created: created(),
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
  });
}

/** The answers of the Chat Completions format. */
export const chatCompletionsAnswers: WireAnswers = {
  format: 'openai',
  endpoint: '/v1/chat/completions',
  body: (result, id) => ({
    id: `chatcmpl-${id}`,
    object: 'chat.completion',
    created: created(),
    model: result.model,
    choices: [{ index: 0, message: { role: 'assistant', content: result.text, refusal: null }, logprobs: null, finish_reason: 'stop' }],
    usage: usageOf(result),
  }),
  streamStart: (model, id) => chunk(id, model, { role: 'assistant', content: '' }, null),
  streamText: (text, model, id) => chunk(id, model, { content: text }, null),
  streamEnd: (result, id, includeUsage) =>
    chunk(id, result.model, {}, 'stop') +
    (includeUsage
      ? sseEvent({
          id: `chatcmpl-${id}`,
          object: 'chat.completion.chunk',
          created: created(),
          model: result.model,
          choices: [],
          usage: usageOf(result),
        })
      : '') +
    'data: [DONE]\n\n',
  passthrough: {
    body: (response, model) => ({ ...response, model }),
    // Upstream always asks for usage (the final object needs it): a client that did not gets none.
    event: (event, model, includeUsage) => {
      if (includeUsage) return sseEvent({ ...event, model });
      const choices = event['choices'];
      if (Array.isArray(choices) && choices.length === 0) return '';
      const { usage: _usage, ...chunk } = event;
      return sseEvent({ ...chunk, model });
    },
    end: 'data: [DONE]\n\n',
  },
};
