/**
 * `POST /v1/messages`: the Anthropic Messages wire format. The body schema (checked by Fastify
 * before the handler), the mapping to a runtime request (`system` string or text blocks; content
 * string or blocks, base64 images as data URLs), and the answers: a `message`, or the stream
 * `message_start`, `content_block_start`, `ping`, `content_block_delta`…, `content_block_stop`,
 * `message_delta`, `message_stop`.
 */
import type { FastifyRequest } from 'fastify';
import { UsageError } from '../errors.js';
import type { MessagePart } from '../conversation/messages.js';
import type { ChatMessage, RunResult } from '../runtime/request.js';
import type { ParsedExchange, WireAnswers } from './exchange.js';
import { hasAnyField, sessionKeyOf } from './request-fields.js';
import { sseEvent } from './sse.js';

const blocks = { type: 'array', items: { type: 'object', required: ['type'], properties: { type: { type: 'string' } } } };

/** The JSON schema of the body (the fields safetynet reads; others are allowed and not read). */
export const messagesSchema = {
  type: 'object',
  required: ['model', 'messages', 'max_tokens'],
  properties: {
    model: { type: 'string', minLength: 1 },
    max_tokens: { type: 'integer', minimum: 1 },
    messages: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['role', 'content'],
        properties: { role: { type: 'string', enum: ['user', 'assistant'] }, content: { anyOf: [{ type: 'string' }, blocks] } },
      },
    },
    system: { anyOf: [{ type: 'string' }, blocks] },
    stream: { type: 'boolean' },
    metadata: { type: 'object', properties: { user_id: { type: ['string', 'null'] } } },
  },
} as const;

/** Fields that need tools: the request passes through (`docs/serve.md#tools-pass-through`). */
const PASSTHROUGH_FIELDS = ['tools', 'tool_choice'];

type Block = Record<string, unknown>;
interface MessagesBody {
  model: string;
  messages: Array<{ role: 'user' | 'assistant'; content: string | Block[] }>;
  system?: string | Block[];
  stream?: boolean;
  metadata?: { user_id?: string | null };
}

/** A block safetynet reads itself: text, or a base64 image (every other one needs a passthrough). */
function isPlainBlock(block: Block): boolean {
  if (block['type'] === 'text') return true;
  return block['type'] === 'image' && (block['source'] as Block | undefined)?.['type'] === 'base64';
}

/**
 * Whether the body needs a passthrough: `tools` / `tool_choice`, or any block other than text and
 * base64 images (`tool_use`, `tool_result`, `document`, `thinking`, image URLs…) in `messages`, or
 * a non-text `system` block.
 */
function needsPassthrough(body: MessagesBody): boolean {
  if (hasAnyField(body as unknown as Record<string, unknown>, PASSTHROUGH_FIELDS)) return true;
  if (Array.isArray(body.system) && body.system.some((block) => block['type'] !== 'text')) return true;
  return body.messages.some((message) => Array.isArray(message.content) && !message.content.every(isPlainBlock));
}

/**
 * The runtime request of a validated body. A body that needs tools (see `needsPassthrough`)
 * becomes a passthrough request of format `anthropic-messages`.
 * @throws {UsageError} `SAFETYNET_USAGE` naming the field, for a malformed text or image block.
 */
export function parseMessages(request: FastifyRequest): ParsedExchange {
  const body = request.body as MessagesBody;
  const sessionKey = sessionKeyOf(request, body.metadata?.user_id);
  const session = sessionKey === undefined ? {} : { sessionKey };
  const exchange = { stream: body.stream === true, includeUsage: true };
  if (needsPassthrough(body)) {
    const beta = request.headers['anthropic-beta'];
    const passthrough = {
      format: 'anthropic-messages' as const,
      body: body as unknown as Record<string, unknown>,
      // Claude Code turns beta body fields on with this header; the provider refuses them without it.
      ...(typeof beta === 'string' && beta !== '' ? { headers: { 'anthropic-beta': beta } } : {}),
    };
    return { run: { model: body.model, passthrough, ...session }, ...exchange };
  }
  const messages: ChatMessage[] = [];
  const system = systemText(body.system);
  if (system !== '') messages.push({ role: 'system', content: system });
  body.messages.forEach((message, i) => {
    const content = message.content;
    messages.push({
      role: message.role,
      content: typeof content === 'string' ? content : content.map((block, j) => messagePart(block, `messages[${i}].content[${j}]`)),
    });
  });
  return { run: { model: body.model, messages, ...session }, ...exchange };
}

function systemText(system: MessagesBody['system']): string {
  if (system === undefined || typeof system === 'string') return system ?? '';
  return system
    .map((block, i) => {
      if (block['type'] !== 'text' || typeof block['text'] !== 'string')
        throw new UsageError(`system[${i}].type: only "text" blocks are supported, received ${JSON.stringify(block['type'])}`);
      return block['text'];
    })
    .join('\n\n');
}

function messagePart(block: Block, at: string): MessagePart {
  const type = block['type'];
  if (type === 'text' && typeof block['text'] === 'string') return { type: 'text', text: block['text'] };
  if (type === 'image') {
    const source = (block['source'] ?? {}) as Record<string, unknown>;
    if (source['type'] !== 'base64' || typeof source['data'] !== 'string' || typeof source['media_type'] !== 'string')
      throw new UsageError(`${at}.source: expected { type: "base64", media_type, data } (safetynet fetches no URLs)`);
    return { type: 'image_url', image_url: { url: `data:${source['media_type']};base64,${source['data']}` } };
  }
  throw new UsageError(`${at}.type: only "text" and "image" blocks are supported, received ${JSON.stringify(type)}`);
}

function usageOf(result: RunResult) {
  return { input_tokens: result.usage?.input ?? 0, output_tokens: result.usage?.output ?? 0 };
}

/** The answers of the Messages format. */
export const messagesAnswers: WireAnswers = {
  format: 'anthropic',
  endpoint: '/v1/messages',
  body: (result, id) => ({
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: result.model,
    content: [{ type: 'text', text: result.text }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: usageOf(result),
  }),
  streamStart: (model, id) =>
    sseEvent(
      {
        type: 'message_start',
        message: {
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 0, output_tokens: 0 },
        },
      },
      'message_start',
    ) +
    sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }, 'content_block_start') +
    sseEvent({ type: 'ping' }, 'ping'),
  streamText: (text) => sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }, 'content_block_delta'),
  streamEnd: (result) =>
    sseEvent({ type: 'content_block_stop', index: 0 }, 'content_block_stop') +
    sseEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: usageOf(result) }, 'message_delta') +
    sseEvent({ type: 'message_stop' }, 'message_stop'),
  passthrough: {
    body: (response, model) => ({ ...response, model }),
    event: (event, model) => {
      const type = String(event['type']);
      const message = event['message'] as Record<string, unknown> | undefined;
      return sseEvent(type === 'message_start' && message !== undefined ? { ...event, message: { ...message, model } } : event, type);
    },
    end: '',
  },
};
