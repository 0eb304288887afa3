/**
 * The stored records of a transcript: its turns (one record per turn, `transcripts` sublevel) and
 * one meta record per session key (`transcript-meta` sublevel) that lets a commit check and bound
 * the transcript without reading its turns, and lets `sessions list` count them without a scan.
 * One shape check for turns, used both on stored values and on a caller's turns.
 */
import { DIGEST_HEX_CHARS } from '../conversation/digest.js';
import type { Transcript, TranscriptTurn } from '../conversation/types.js';

/** The meta record of one session key's transcript. */
export interface TranscriptMeta {
  /** The session key (unescaped). */
  sessionKey: string;
  /** `seq` of the newest stored turn. */
  lastSeq: number;
  /** Chain digest of the newest stored turn. */
  lastDigest: string;
  /** Turns dropped by the bounds (the oldest kept turn has `seq = dropped + 1`). */
  dropped: number;
  /** Turns stored. */
  turns: number;
  /** Characters of turn text stored. */
  chars: number;
  /** Epoch ms of the last commit. */
  updatedAt: number;
}

/** One stored conversation, as `safetynet sessions list` shows it (`SessionStore.conversations`). */
export type ConversationSummary = Pick<TranscriptMeta, 'sessionKey' | 'turns' | 'dropped' | 'lastSeq' | 'updatedAt'>;

const DIGEST = new RegExp(`^[0-9a-f]{${DIGEST_HEX_CHARS}}$`);
const isText = (value: unknown): value is string => typeof value === 'string';
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;
const isOptional = (value: unknown, check: (v: unknown) => boolean): boolean => value === undefined || check(value);
const isImage = (value: unknown): boolean =>
  typeof value === 'object' &&
  value !== null &&
  isText((value as Record<string, unknown>)['name']) &&
  isText((value as Record<string, unknown>)['mimeType']);

/** Field checks of a turn: `[field, expectation, check]`. */
const TURN_FIELDS: ReadonlyArray<readonly [keyof TranscriptTurn, string, (value: unknown) => boolean]> = [
  ['seq', 'a positive integer', (v) => isCount(v) && (v as number) >= 1],
  ['role', '`user` or `assistant`', (v) => v === 'user' || v === 'assistant'],
  ['text', 'a string', isText],
  ['digest', `${DIGEST_HEX_CHARS} lowercase hex characters`, (v) => isText(v) && DIGEST.test(v)],
  ['images', 'an array of { name, mimeType } strings', (v) => isOptional(v, (a) => Array.isArray(a) && a.every(isImage))],
  ['model', 'a string', (v) => isOptional(v, isText)],
  ['backend', '`api` or `cli`', (v) => isOptional(v, (b) => b === 'api' || b === 'cli')],
  ['requestId', 'a non-empty string', (v) => isText(v) && v !== ''],
  ['at', 'finite epoch milliseconds ≥ 0', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0],
];

/**
 * What is wrong with `value` as a turn: `[field, expectation]` of the first bad field (`''` when it
 * is not an object), or `undefined` when it is a turn.
 */
export function turnProblem(value: unknown): readonly [string, string] | undefined {
  if (typeof value !== 'object' || value === null) return ['', 'an object'];
  const turn = value as Record<string, unknown>;
  const bad = TURN_FIELDS.find(([field, , check]) => !check(turn[field]));
  return bad === undefined ? undefined : [`.${bad[0]}`, bad[1]];
}

/** A copy of a checked turn with only the known fields (images copied as placeholders). */
export function copyTurn(turn: TranscriptTurn): TranscriptTurn {
  const { seq, role, text, digest, images, model, backend, requestId, at } = turn;
  const copy: TranscriptTurn = { seq, role, text, digest, requestId, at };
  if (images !== undefined) copy.images = images.map(({ name, mimeType }) => ({ name, mimeType }));
  if (model !== undefined) copy.model = model;
  if (backend !== undefined) copy.backend = backend;
  return copy;
}

/** A stored value as a turn, or `undefined` when it does not have that shape. */
export function toTurn(value: unknown): TranscriptTurn | undefined {
  return turnProblem(value) === undefined ? copyTurn(value as TranscriptTurn) : undefined;
}

/**
 * The transcript held by stored turn values (oldest first, as a range read returns them). Values
 * that are not turns are skipped, and only the newest run of consecutive seqs is kept, so
 * `turns[i].seq === dropped + i + 1` always holds.
 */
export function readTranscript(values: readonly unknown[]): Transcript {
  const turns = values.flatMap((value) => toTurn(value) ?? []);
  let start = turns.length - 1;
  while (start > 0 && (turns[start - 1] as TranscriptTurn).seq === (turns[start] as TranscriptTurn).seq - 1) start--;
  const kept = start <= 0 ? turns : turns.slice(start);
  return { turns: kept, dropped: kept.length === 0 ? 0 : (kept[0] as TranscriptTurn).seq - 1 };
}

/** Characters of turn text in `turns`. */
export function textChars(turns: readonly Pick<TranscriptTurn, 'text'>[]): number {
  return turns.reduce((sum, turn) => sum + turn.text.length, 0);
}

/** The meta record describing `transcript` (e.g. one rebuilt from its turns). */
export function metaOf(sessionKey: string, transcript: Transcript, updatedAt: number): TranscriptMeta {
  const last = transcript.turns.at(-1);
  return {
    sessionKey,
    lastSeq: last?.seq ?? 0,
    lastDigest: last?.digest ?? '',
    dropped: transcript.dropped,
    turns: transcript.turns.length,
    chars: textChars(transcript.turns),
    updatedAt,
  };
}

/** A stored value as a {@link TranscriptMeta}, or `undefined` when it does not have that shape. */
export function toMeta(value: unknown): TranscriptMeta | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const counts = [v['lastSeq'], v['dropped'], v['turns'], v['chars']];
  if (!isText(v['sessionKey']) || !isText(v['lastDigest']) || !counts.every(isCount)) return undefined;
  if (typeof v['updatedAt'] !== 'number' || !Number.isFinite(v['updatedAt'])) return undefined;
  const { sessionKey, lastSeq, lastDigest, dropped, turns, chars, updatedAt } = v as unknown as TranscriptMeta;
  return { sessionKey, lastSeq, lastDigest, dropped, turns, chars, updatedAt };
}
