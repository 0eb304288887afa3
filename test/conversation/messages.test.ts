import { describe, expect, it } from 'vitest';
import { normalizeMessages } from '../../src/conversation/messages.js';
import { SafetynetError } from '../../src/errors.js';

const PNG = 'data:image/png;base64,iVBORw0KGgo=';

/** A user message with a text part, then one image part per data URL (alternately `{ url }` and the bare string form). */
function userWithImages(text: string, ...urls: string[]) {
  const images = urls.map((url, i) => ({ type: 'image_url', image_url: i % 2 === 0 ? { url } : url }));
  return { role: 'user', content: [{ type: 'text', text }, ...images] };
}

/** The `SAFETYNET_USAGE` message `normalizeMessages(messages)` throws (fails when it does not throw one). */
function usageMessage(messages: unknown): string {
  try {
    normalizeMessages(messages);
  } catch (error) {
    expect(error).toBeInstanceOf(SafetynetError);
    expect((error as SafetynetError).code).toBe('SAFETYNET_USAGE');
    return (error as Error).message;
  }
  throw new Error('normalizeMessages accepted a bad shape');
}

describe('bad messages are SAFETYNET_USAGE naming the index and field', () => {
  it('not an array', () => {
    expect(usageMessage({ role: 'user', content: 'hi' })).toMatch(/^request\.messages: expected an array/);
    expect(usageMessage(undefined)).toBe('request.messages: expected an array of { role, content } messages, received (missing)');
  });

  it('empty', () => {
    expect(usageMessage([])).toMatch(/^request\.messages: expected at least one message/);
  });

  it('an element that is not an object', () => {
    expect(usageMessage([{ role: 'user', content: 'a' }, 'hi'])).toBe(
      'request.messages[1]: expected a message object { role, content }, received "hi"',
    );
    expect(usageMessage([null])).toMatch(/^request\.messages\[0\]: expected a message object/);
    expect(usageMessage([[]])).toMatch(/^request\.messages\[0\]: expected a message object/);
  });

  it('an unknown role (the documented example)', () => {
    const messages = [
      { role: 'user', content: 'a' },
      { role: 'assistant', content: 'b' },
      { role: 'tool', content: 'c' },
      { role: 'user', content: 'd' },
    ];
    expect(usageMessage(messages)).toBe('request.messages[2].role: expected "system", "user" or "assistant", received "tool"');
    expect(usageMessage([{ content: 'x' }])).toMatch(/^request\.messages\[0\]\.role: .*received \(missing\)$/);
  });

  it('content that is neither a string nor an array of parts', () => {
    expect(usageMessage([{ role: 'user', content: 42 }])).toMatch(
      /^request\.messages\[0\]\.content: expected a string or an array of parts/,
    );
    expect(usageMessage([{ role: 'user', content: { text: 'x' } }])).toMatch(/^request\.messages\[0\]\.content: /);
  });

  it('a part that is not an object, of an unknown type, or a text part without a string', () => {
    expect(usageMessage([{ role: 'user', content: ['x'] }])).toMatch(/^request\.messages\[0\]\.content\[0\]: expected a part object/);
    expect(usageMessage([{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'audio' }] }])).toBe(
      'request.messages[0].content[1].type: expected "text" or "image_url", received "audio"',
    );
    expect(usageMessage([{ role: 'user', content: [{ type: 'text', text: 7 }] }])).toMatch(
      /^request\.messages\[0\]\.content\[0\]\.text: expected a string, received 7$/,
    );
  });

  it('an image that is not a base64 data URL (safetynet fetches nothing)', () => {
    const remote = [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://example.com/a.png' } }] }];
    expect(usageMessage(remote)).toMatch(/^request\.messages\[0\]\.content\[0\]\.image_url\.url: expected a data URL/);
    const missing = [{ role: 'user', content: [{ type: 'image_url' }] }];
    expect(usageMessage(missing)).toMatch(/^request\.messages\[0\]\.content\[0\]\.image_url\.url: .*received \(missing\)$/);
    const notImage = [{ role: 'user', content: [{ type: 'image_url', image_url: 'data:text/plain;base64,aGk=' }] }];
    expect(usageMessage(notImage)).toMatch(/\.image_url\.url: expected a data URL/);
  });

  it.each(['assistant', 'system'])('a last message from the %s, not the user', (role) => {
    const messages = [
      { role: 'user', content: 'a' },
      { role, content: 'b' },
    ];
    expect(usageMessage(messages)).toBe(`request.messages[1].role: expected "user" for the last message, received "${role}"`);
  });

  it('a last message with neither text nor images', () => {
    expect(usageMessage([{ role: 'user', content: '  ' }])).toMatch(
      /^request\.messages\[0\]\.content: expected a non-empty text or at least one image/,
    );
    expect(usageMessage([{ role: 'user', content: [] }])).toMatch(/^request\.messages\[0\]\.content: /);
  });

  it('a system message with an image', () => {
    const messages = [
      { role: 'system', content: [{ type: 'image_url', image_url: PNG }] },
      { role: 'user', content: 'a' },
    ];
    expect(usageMessage(messages)).toMatch(/^request\.messages\[0\]\.content: expected text only in a system message/);
  });

  it('a value that cannot be printed as JSON is still a usage error', () => {
    const circular: Record<string, unknown> = {};
    circular['self'] = circular;
    expect(usageMessage([{ role: 'user', content: circular }])).toMatch(/^request\.messages\[0\]\.content: expected a string or an array/);
    expect(usageMessage([{ role: 'user', content: 10n }])).toMatch(/^request\.messages\[0\]\.content: .*received 10$/);
  });
});

describe('good messages are split into system prompt, history, message and images', () => {
  it('a single user message: no system prompt, no history', () => {
    expect(normalizeMessages([{ role: 'user', content: 'hi' }])).toEqual({
      systemPrompt: undefined,
      history: [],
      message: 'hi',
      images: [],
    });
  });

  it('system messages are joined by blank lines, wherever they are, and are not turns', () => {
    const normalized = normalizeMessages([
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'q1' },
      { role: 'system', content: [{ type: 'text', text: 'Answer in French.' }] },
      { role: 'system', content: '   ' },
      { role: 'assistant', content: 'a1' },
      { role: 'user', content: 'q2' },
    ]);
    expect(normalized.systemPrompt).toBe('Be brief.\n\nAnswer in French.');
    expect(normalized.history).toEqual([
      { role: 'user', text: 'q1' },
      { role: 'assistant', text: 'a1' },
    ]);
    expect(normalized.message).toBe('q2');
  });

  it('text parts are joined by newlines', () => {
    const content = [
      { type: 'text', text: 'line 1' },
      { type: 'text', text: 'line 2' },
    ];
    expect(normalizeMessages([{ role: 'user', content }]).message).toBe('line 1\nline 2');
  });

  it('the images of the last message are returned as base64 with their media type', () => {
    const normalized = normalizeMessages([userWithImages('What is this?', PNG, 'data:IMAGE/JPEG;base64,/9j/4AAQ')]);
    expect(normalized.message).toBe('What is this?');
    expect(normalized.images).toEqual([
      { mimeType: 'image/png', data: 'iVBORw0KGgo=' },
      { mimeType: 'image/jpeg', data: '/9j/4AAQ' },
    ]);
  });

  it('a last message with images only is accepted, with an empty text', () => {
    const normalized = normalizeMessages([{ role: 'user', content: [{ type: 'image_url', image_url: { url: PNG } }] }]);
    expect([normalized.message, normalized.images.length]).toEqual(['', 1]);
  });

  it('images of earlier messages become placeholders image-N with their media type, never their bytes', () => {
    const normalized = normalizeMessages([
      userWithImages('Compare these', PNG, 'data:image/webp;base64,UklGRg=='),
      { role: 'assistant', content: 'They differ.' },
      { role: 'user', content: 'How?' },
    ]);
    expect(normalized.history[0]).toEqual({
      role: 'user',
      text: 'Compare these',
      images: [
        { name: 'image-1', mimeType: 'image/png' },
        { name: 'image-2', mimeType: 'image/webp' },
      ],
    });
    expect(JSON.stringify(normalized.history)).not.toContain('iVBORw0KGgo=');
    expect(normalized.images).toEqual([]);
  });
});
