/**
 * The bounds of conversations (`safetynet.sessions` in the config file; the transcript store's and
 * the CLI prompt's defaults): one home for both, so the config and the store never disagree.
 * Rationale: `docs/conversations.md#bounds`.
 */

/** Default `safetynet.sessions.maxTurns`: a transcript keeps its 200 newest turns (100 exchanges). */
export const DEFAULT_TRANSCRIPT_MAX_TURNS = 200;

/** Default `safetynet.sessions.maxChars`: a transcript keeps at most 400 000 characters of turn text. */
export const DEFAULT_TRANSCRIPT_MAX_CHARS = 400_000;

/**
 * Default `safetynet.sessions.historyChars`: the history block written into a CLI's prompt (catch-up
 * or reseed) holds at most 100 000 characters of turn text; older turns are left out with a line
 * saying how many.
 */
export const DEFAULT_HISTORY_PROMPT_CHARS = 100_000;

/** The resolved `safetynet.sessions` bounds. */
export interface SessionBounds {
  /** Newest turns a transcript keeps (oldest dropped first). @default 200 */
  maxTurns: number;
  /** Characters of turn text a transcript keeps (oldest turns dropped first). @default 400000 */
  maxChars: number;
  /** Characters of turn text in a CLI prompt's history block. @default 100000 */
  historyChars: number;
}

/** The defaults of {@link SessionBounds}. */
export const DEFAULT_SESSION_BOUNDS: Readonly<SessionBounds> = Object.freeze({
  maxTurns: DEFAULT_TRANSCRIPT_MAX_TURNS,
  maxChars: DEFAULT_TRANSCRIPT_MAX_CHARS,
  historyChars: DEFAULT_HISTORY_PROMPT_CHARS,
});
