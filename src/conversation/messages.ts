/**
 * `run({ messages })`: a conversation the caller keeps itself, OpenAI-style
 * (`{ role: 'system' | 'user' | 'assistant', content: string | parts[] }`, the last one `user`),
 * checked at the boundary and turned into safetynet's pieces: the system prompt, the earlier turns
 * and the new user message with its images. Rationale: `docs/conversations.md#messages`.
 */
import { UsageError } from '../errors.js';
import { renderReceived } from '../config/problems.js';
import type { ImagePlaceholder, TurnRole } from './types.js';

/** One content part: `{ type: 'text', text }` or `{ type: 'image_url', image_url: { url: 'data:<type>;base64,<data>' } }`. */
export type MessagePart = { type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } | string };

/** One message of `run({ messages })`. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  /** The text, or parts (text and images). */
  content: string | MessagePart[];
}

/** An earlier turn taken from the messages. */
export interface MessageTurn {
  role: TurnRole;
  text: string;
  /** Images of the message, as placeholders (earlier turns are not re-sent with their bytes). */
  images?: ImagePlaceholder[];
}

/** The pieces of a `messages` request. */
export interface NormalizedMessages {
  /** The `system` messages' texts joined by blank lines, or `undefined` when there are none. */
  systemPrompt: string | undefined;
  /** The earlier `user`/`assistant` turns, oldest first. */
  history: MessageTurn[];
  /** The text of the last (`user`) message. */
  message: string;
  /** The images of the last message, as base64 (staged like `RunRequest.images`). */
  images: Array<{ data: string; mimeType: string }>;
}

const ROLES = new Set(['system', 'user', 'assistant']);
const DATA_URL = /^data:(image\/[a-z0-9.+-]+);base64,(.*)$/is;

function usage(path: string, expected: string, value: unknown): UsageError {
  return new UsageError(`request.${path}: expected ${expected}, received ${renderReceived(value)}`);
}

/**
 * Refuse a prompt text holding a NUL byte (U+0000): no process argument can carry one (a CLI
 * candidate would fail with Node's raw message quoting the prompt), so it is a usage error at the
 * boundary, naming the field and never quoting the text.
 * @throws {UsageError} `SAFETYNET_USAGE` `request.<field>: contains a NUL byte (U+0000) …`.
 */
export function refuseNulByte(text: string, field: string): void {
  if (text.includes('\u0000'))
    throw new UsageError(
      `request.${field}: contains a NUL byte (U+0000), which a prompt cannot carry; remove it (the text is not shown here)`,
    );
}

function imageOf(part: Record<string, unknown>, path: string): { data: string; mimeType: string } {
  const raw = part['image_url'];
  const url = typeof raw === 'string' ? raw : typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>)['url'] : undefined;
  const match = typeof url === 'string' ? DATA_URL.exec(url) : null;
  if (match === null) throw usage(`${path}.image_url.url`, 'a data URL "data:image/<type>;base64,<data>" (safetynet fetches nothing)', url);
  return { mimeType: match[1]!.toLowerCase(), data: match[2]! };
}

/** The text and images of one message's content. */
function contentOf(content: unknown, path: string): { text: string; images: Array<{ data: string; mimeType: string }> } {
  if (typeof content === 'string') {
    refuseNulByte(content, path);
    return { text: content, images: [] };
  }
  if (!Array.isArray(content)) throw usage(path, 'a string or an array of parts ({ type: "text" | "image_url" })', content);
  const texts: string[] = [];
  const images: Array<{ data: string; mimeType: string }> = [];
  content.forEach((part: unknown, j) => {
    const at = `${path}[${j}]`;
    if (typeof part !== 'object' || part === null) throw usage(at, 'a part object { type: "text" | "image_url", … }', part);
    const p = part as Record<string, unknown>;
    if (p['type'] === 'text') {
      if (typeof p['text'] !== 'string') throw usage(`${at}.text`, 'a string', p['text']);
      refuseNulByte(p['text'], `${at}.text`);
      texts.push(p['text']);
    } else if (p['type'] === 'image_url') images.push(imageOf(p, at));
    else throw usage(`${at}.type`, '"text" or "image_url"', p['type']);
  });
  return { text: texts.join('\n'), images };
}

/**
 * Check and split `messages`.
 *
 * @throws {UsageError} `SAFETYNET_USAGE` naming the index and field (`request.messages[2].role`):
 *   not an array, empty, an element that is not an object, an unknown role, content that is neither
 *   a string nor an array of text/image parts, an image that is not a base64 data URL, a last
 *   message that is not `user`, a last message with neither text nor images, or a text holding a
 *   NUL byte (named, never quoted: {@link refuseNulByte}).
 */
export function normalizeMessages(messages: unknown): NormalizedMessages {
  if (!Array.isArray(messages)) throw usage('messages', 'an array of { role, content } messages', messages);
  if (messages.length === 0) throw usage('messages', 'at least one message (the last one from the user)', messages);
  const system: string[] = [];
  const turns: Array<{ role: TurnRole; text: string; images: Array<{ data: string; mimeType: string }> }> = [];
  messages.forEach((message: unknown, i) => {
    const path = `messages[${i}]`;
    if (typeof message !== 'object' || message === null || Array.isArray(message))
      throw usage(path, 'a message object { role, content }', message);
    const { role, content } = message as Record<string, unknown>;
    if (typeof role !== 'string' || !ROLES.has(role)) throw usage(`${path}.role`, '"system", "user" or "assistant"', role);
    const { text, images } = contentOf(content, `${path}.content`);
    if (role === 'system') {
      if (images.length > 0) throw usage(`${path}.content`, 'text only in a system message', content);
      if (i === messages.length - 1) throw usage(`${path}.role`, '"user" for the last message', role);
      if (text.trim() !== '') system.push(text);
    } else turns.push({ role: role as TurnRole, text, images });
  });
  const last = turns.at(-1);
  const lastIndex = messages.length - 1;
  if (last === undefined || (messages[lastIndex] as { role?: unknown }).role !== 'user')
    throw usage(`messages[${lastIndex}].role`, '"user" for the last message', (messages[lastIndex] as { role?: unknown }).role);
  if (last.text.trim() === '' && last.images.length === 0)
    throw usage(
      `messages[${lastIndex}].content`,
      'a non-empty text or at least one image',
      (messages[lastIndex] as { content?: unknown }).content,
    );
  const history = turns.slice(0, -1).map(({ role, text, images }) => {
    const placeholders = images.map((image, n) => ({ name: `image-${n + 1}`, mimeType: image.mimeType }));
    return placeholders.length === 0 ? { role, text } : { role, text, images: placeholders };
  });
  return { systemPrompt: system.length === 0 ? undefined : system.join('\n\n'), history, message: last.text, images: last.images };
}
