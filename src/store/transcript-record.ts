/**
 * The stored turns of a transcript (one record per turn, `transcripts` sublevel): one shape check
 * for turns, used both on stored values and on a caller's turns, and the read of a transcript from
 * its stored values. The meta record is in `transcript-meta.ts`.
 */
import { DIGEST_HEX_CHARS } from '../conversation/digest.js';
import type { Transcript, TranscriptTurn } from '../conversation/types.js';

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
