/**
 * The transcripts this process read or committed last, per (folder, session key), so that the
 * read on every keyed request is one `get` of the meta record when nothing changed. An entry is
 * used only while its version equals the stored meta record's (every commit, by any process,
 * writes a new version in the same batch as the turns), so a stale entry is never returned.
 * Bounded by the total characters of text held; least recently used entries go first.
 */
import type { Transcript, TranscriptTurn } from '../conversation/types.js';

/** Characters of turn text the cache holds at most, over all entries (about 8 MB of strings). @default 4_000_000 */
export const TRANSCRIPT_CACHE_MAX_CHARS = 4_000_000;

interface Entry {
  version: string;
  transcript: Transcript;
  chars: number;
}

function freezeTurn(turn: TranscriptTurn): TranscriptTurn {
  if (turn.images !== undefined) {
    for (const image of turn.images) Object.freeze(image);
    Object.freeze(turn.images);
  }
  return Object.freeze(turn);
}

/**
 * A size-bounded map from a cache key to the transcript of one meta version. Returned transcripts
 * have a fresh `turns` array (the caller may add to it) of frozen turn objects shared with the cache.
 */
export class TranscriptCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxChars: number;
  #chars = 0;

  /** @param maxChars total characters of turn text held. */
  constructor(maxChars = TRANSCRIPT_CACHE_MAX_CHARS) {
    this.#maxChars = maxChars;
  }

  /** Characters of turn text held now (diagnostics, tests). */
  get chars(): number {
    return this.#chars;
  }

  /** The transcript cached under `key` for meta `version`, or `undefined`. */
  get(key: string, version: string): Transcript | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined || entry.version !== version) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry); // most recently used last
    return { turns: [...entry.transcript.turns], dropped: entry.transcript.dropped };
  }

  /** The transcript under `key` for `version`, whatever version it is cached for (a commit extends it). */
  peek(key: string): { version: string; transcript: Transcript } | undefined {
    return this.#entries.get(key);
  }

  /** Cache `transcript` (its turns are frozen) as the one of meta `version`; too large ones are not kept. */
  set(key: string, version: string, transcript: Transcript): void {
    this.delete(key);
    const chars = transcript.turns.reduce((sum, turn) => sum + turn.text.length, 0);
    if (chars > this.#maxChars) return;
    const turns = transcript.turns.map(freezeTurn);
    this.#entries.set(key, { version, transcript: { turns, dropped: transcript.dropped }, chars });
    this.#chars += chars;
    for (const [oldest, entry] of this.#entries) {
      if (this.#chars <= this.#maxChars) break;
      this.#entries.delete(oldest);
      this.#chars -= entry.chars;
    }
  }

  /** Forget every entry. */
  clear(): void {
    this.#entries.clear();
    this.#chars = 0;
  }

  /** Forget `key`. */
  delete(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#chars -= entry.chars;
  }
}
