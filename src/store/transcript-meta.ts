/**
 * The meta record of a transcript (`transcript-meta` sublevel, one per session key): enough to
 * check and bound a commit without reading the turns (the last seq and digest, the text length of
 * every kept turn), to list conversations without a scan, and a version that changes with every
 * commit so a process can tell whether a transcript it read earlier is still current.
 */
import { randomUUID } from 'node:crypto';
import type { Transcript } from '../conversation/types.js';

/** The meta record of one session key's transcript. */
export interface TranscriptMeta {
  /** The session key (unescaped). */
  sessionKey: string;
  /** A new random id at every commit (cache validation: equal versions, equal transcripts). */
  version: string;
  /** `seq` of the newest stored turn (`dropped + lengths.length`). */
  lastSeq: number;
  /** Chain digest of the newest stored turn (`''` when none). */
  lastDigest: string;
  /** Turns dropped by the bounds (the oldest kept turn has `seq = dropped + 1`). */
  dropped: number;
  /** Text length (UTF-16 code units) of each kept turn, oldest first. */
  lengths: number[];
  /** Epoch ms of the last commit. */
  updatedAt: number;
}

/** One stored conversation, as `safetynet sessions list` shows it (`SessionStore.conversations`). */
export interface ConversationSummary {
  sessionKey: string;
  /** Turns kept. */
  turns: number;
  /** Older turns the bounds dropped. */
  dropped: number;
  /** `seq` of the newest turn. */
  lastSeq: number;
  /** Epoch ms of the last commit. */
  updatedAt: number;
}

/** A fresh meta {@link TranscriptMeta.version}. */
export function newVersion(): string {
  return randomUUID();
}

/** The meta record describing `transcript` (e.g. one rebuilt from its turns), with a fresh version. */
export function metaOf(sessionKey: string, transcript: Transcript, updatedAt: number): TranscriptMeta {
  const last = transcript.turns.at(-1);
  return {
    sessionKey,
    version: newVersion(),
    lastSeq: last?.seq ?? 0,
    lastDigest: last?.digest ?? '',
    dropped: transcript.dropped,
    lengths: transcript.turns.map((turn) => turn.text.length),
    updatedAt,
  };
}

const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/**
 * A stored value as a {@link TranscriptMeta}, or `undefined` when it does not have that shape or is
 * inconsistent (`dropped + lengths.length !== lastSeq`).
 */
export function toMeta(value: unknown): TranscriptMeta | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { sessionKey, version, lastSeq, lastDigest, dropped, lengths, updatedAt } = value as Record<string, unknown>;
  if (typeof sessionKey !== 'string' || typeof version !== 'string' || typeof lastDigest !== 'string') return undefined;
  if (!isCount(lastSeq) || !isCount(dropped) || !Array.isArray(lengths) || !lengths.every(isCount)) return undefined;
  if (typeof updatedAt !== 'number' || !Number.isFinite(updatedAt) || dropped + lengths.length !== lastSeq) return undefined;
  return { sessionKey, version, lastSeq, lastDigest, dropped, lengths: lengths as number[], updatedAt };
}

/** What `sessions list` shows of a transcript. */
export function summaryOf(meta: TranscriptMeta): ConversationSummary {
  const { sessionKey, dropped, lastSeq, updatedAt } = meta;
  return { sessionKey, turns: meta.lengths.length, dropped, lastSeq, updatedAt };
}

/**
 * The `conversations()` answer of every session backend: the summaries of stored meta values
 * (values that are not a meta record are skipped), sorted by session key (UTF-16 code unit order).
 */
export function sortedSummaries(values: readonly unknown[]): ConversationSummary[] {
  return values
    .flatMap((value) => {
      const meta = toMeta(value);
      return meta === undefined ? [] : [summaryOf(meta)];
    })
    .sort((a, b) => (a.sessionKey < b.sessionKey ? -1 : a.sessionKey > b.sessionKey ? 1 : 0));
}
