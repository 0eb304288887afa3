import { describe, expect, it } from 'vitest';
import { historyMessages, mergeConsecutive } from '../../../src/actors/api/history.js';
import type { TextMessage } from '../../../src/actors/api/history.js';

describe('history: what an earlier turn is sent as', () => {
  it("a turn's images are never sent as images: one placeholder line each follows the text", () => {
    const images = [
      { name: 'a.png', mimeType: 'image/png' },
      { name: 'image-2', mimeType: 'image/jpeg' },
    ];
    expect(
      historyMessages([
        { role: 'user', text: 'compare these', images },
        { role: 'assistant', text: '  as is\n' },
      ]),
    ).toEqual([
      { role: 'user', text: 'compare these\n[image: a.png (image/png)]\n[image: image-2 (image/jpeg)]' },
      { role: 'assistant', text: '  as is\n' },
    ]);
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
