import { describe, expect, it } from 'vitest';
import { historyMessages, imagePlaceholderLine, mergeConsecutive, renderHistoryTurn } from '../../../src/actors/api/history.js';
import type { TextMessage } from '../../../src/actors/api/history.js';

describe('history: what an earlier turn is sent as', () => {
  it('an image placeholder is one line naming the file and its media type', () => {
    expect(imagePlaceholderLine({ name: 'photo.png', mimeType: 'image/png' })).toBe('[image: photo.png (image/png)]');
  });

  it('a turn without images is sent as its text, unchanged', () => {
    expect(renderHistoryTurn({ role: 'user', text: '  spaced\n' })).toBe('  spaced\n');
    expect(renderHistoryTurn({ role: 'assistant', text: 'ok', images: [] })).toBe('ok');
  });

  it("a turn's images are never sent as images: one placeholder line each follows the text", () => {
    const turn = {
      role: 'user' as const,
      text: 'compare these',
      images: [
        { name: 'a.png', mimeType: 'image/png' },
        { name: 'image-2', mimeType: 'image/jpeg' },
      ],
    };
    expect(renderHistoryTurn(turn)).toBe('compare these\n[image: a.png (image/png)]\n[image: image-2 (image/jpeg)]');
  });

  it('a turn with images and no text is sent as its placeholder lines alone', () => {
    expect(renderHistoryTurn({ role: 'user', text: '', images: [{ name: 'a.gif', mimeType: 'image/gif' }] })).toBe(
      '[image: a.gif (image/gif)]',
    );
  });

  it('turns that carry nothing (blank text, no images) are left out, the others keep their order', () => {
    const messages = historyMessages([
      { role: 'user', text: 'one' },
      { role: 'assistant', text: '  ' },
      { role: 'user', text: '', images: [{ name: 'b.webp', mimeType: 'image/webp' }] },
      { role: 'assistant', text: 'two' },
    ]);
    expect(messages).toEqual([
      { role: 'user', text: 'one' },
      { role: 'user', text: '[image: b.webp (image/webp)]' },
      { role: 'assistant', text: 'two' },
    ]);
  });
});

describe('history: merging consecutive turns of one role', () => {
  it('consecutive messages of one role become one, texts joined by a blank line', () => {
    const merged = mergeConsecutive([
      { role: 'user', text: 'a' },
      { role: 'user', text: 'b' },
      { role: 'assistant', text: 'c' },
      { role: 'assistant', text: 'd' },
      { role: 'user', text: 'e' },
    ]);
    expect(merged).toEqual([
      { role: 'user', text: 'a\n\nb' },
      { role: 'assistant', text: 'c\n\nd' },
      { role: 'user', text: 'e' },
    ]);
  });

  it('an alternating list comes back equal, and the input is never changed', () => {
    const input: TextMessage[] = [
      { role: 'assistant', text: 'first' },
      { role: 'user', text: 'second' },
      { role: 'user', text: 'third' },
    ];
    const copy = structuredClone(input);
    expect(mergeConsecutive(input.slice(0, 2))).toEqual(input.slice(0, 2));
    mergeConsecutive(input);
    expect(input).toEqual(copy);
  });

  it('an empty history merges to nothing', () => {
    expect(mergeConsecutive(historyMessages([]))).toEqual([]);
  });
});
