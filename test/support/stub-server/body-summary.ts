/**
 * The request log's summary of a request body ({@link BodySummary}): model, stream flag, roles,
 * every message's role and text, user turns and texts, system prompt, images and tools, read from any of the four provider APIs
 * (Anthropic `system` / `messages`, OpenAI Responses `instructions` / `input`, Chat `messages`, Gemini
 * `systemInstruction` / `contents` with `parts`).
 */
import { isRecord } from './protocol.js';
import type { BodySummary } from './types.js';

const TAIL = 500;
const SYSTEM_TAIL = 2000;

/** The last `n` characters of `s`. */
function tail(s: string, n: number): string {
  return s.length > n ? s.slice(s.length - n) : s;
}

/** Text parts of an Anthropic / OpenAI message `content` or a Gemini content's `parts` (string or array of parts). */
function textParts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  const out: string[] = [];
  for (const part of content) {
    if (typeof part === 'string') out.push(part);
    else if (isRecord(part) && typeof part['text'] === 'string') out.push(part['text']);
  }
  return out;
}

function countImages(content: unknown): number {
  if (!Array.isArray(content)) return 0;
  let n = 0;
  for (const part of content) {
    if (!isRecord(part)) continue;
    const t = part['type'];
    if (t === 'image' || t === 'input_image' || t === 'image_url' || isRecord(part['inlineData'])) n += 1;
  }
  return n;
}

/** True for a pure context block such as `<environment_context>…</environment_context>`. */
function isContextBlock(text: string): boolean {
  const t = text.trim();
  return /^<([A-Za-z_][\w-]*)[^>]*>[\s\S]*<\/\1>$/.test(t);
}

/** Builds the {@link BodySummary} of a raw body. */
export function summarizeBody(raw: string): { summary: BodySummary; json?: unknown } {
  const summary: BodySummary = { bytes: Buffer.byteLength(raw), json: false };
  if (raw.length === 0) return { summary };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return { summary };
  }
  summary.json = true;
  if (!isRecord(parsed)) return { summary, json: parsed };
  summary.keys = Object.keys(parsed);
  if (typeof parsed['model'] === 'string') summary.model = parsed['model'];
  if (typeof parsed['stream'] === 'boolean') summary.stream = parsed['stream'];
  if (Array.isArray(parsed['tools'])) summary.toolsCount = parsed['tools'].length;

  const system: string[] = [];
  const sys = parsed['system'];
  if (typeof sys === 'string') system.push(tail(sys, SYSTEM_TAIL));
  else for (const t of textParts(sys)) system.push(tail(t, SYSTEM_TAIL));
  if (typeof parsed['instructions'] === 'string') system.push(tail(parsed['instructions'], SYSTEM_TAIL));
  const instruction = parsed['systemInstruction'];
  if (isRecord(instruction)) for (const t of textParts(instruction['parts'])) system.push(tail(t, SYSTEM_TAIL));
  if (system.length > 0) summary.system = system;

  // Messages: Anthropic / Chat `messages`, OpenAI Responses `input` (string or items).
  const roles: string[] = [];
  const conversation: { role: string; text: string }[] = [];
  const userTexts: string[] = [];
  const inputTexts: string[] = [];
  let turns = 0;
  let images = 0;
  const visit = (role: string, content: unknown): void => {
    roles.push(role);
    images += countImages(content);
    const texts = textParts(content);
    conversation.push({ role, text: tail(texts.join(' | '), TAIL) });
    if (role === 'user') {
      const last = texts.at(-1) ?? '';
      userTexts.push(tail(last, TAIL));
      if (last.trim() !== '' && !isContextBlock(last)) turns += 1;
    }
  };
  const messages = parsed['messages'];
  if (Array.isArray(messages)) {
    for (const m of messages) {
      if (isRecord(m) && typeof m['role'] === 'string') visit(m['role'], m['content']);
    }
  }
  const contents = parsed['contents'];
  if (Array.isArray(contents)) {
    for (const c of contents) {
      if (isRecord(c) && typeof c['role'] === 'string') visit(c['role'], c['parts']);
    }
  }
  const input = parsed['input'];
  if (typeof input === 'string') {
    visit('user', input);
    inputTexts.push(tail(input, TAIL));
  } else if (Array.isArray(input)) {
    for (const item of input) {
      if (!isRecord(item)) continue;
      const content = item['content'];
      inputTexts.push(tail(textParts(content).join(' | '), TAIL));
      if (typeof item['role'] === 'string' && (item['type'] === undefined || item['type'] === 'message')) {
        visit(item['role'], content);
      } else {
        images += countImages(content);
      }
    }
  }
  if (roles.length > 0 || Array.isArray(messages) || Array.isArray(contents) || input !== undefined) {
    summary.roles = roles;
    summary.messages = conversation;
    summary.userMessageCount = roles.filter((r) => r === 'user').length;
    summary.turns = turns;
    summary.userTexts = userTexts;
    const last = userTexts.at(-1);
    if (last !== undefined) summary.lastUserText = last;
    summary.imageCount = images;
  }
  if (input !== undefined) summary.inputTexts = inputTexts;
  return { summary, json: parsed };
}
