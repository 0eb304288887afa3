/**
 * The history block of a CLI prompt: the earlier turns a CLI session has not seen, as one clearly
 * delimited block before the user's message, bounded by a character budget (oldest turns left
 * out first, with a line saying how many). The format is documented in
 * `docs/conversations.md#history-block`; the user's message is always the last thing the CLI reads.
 */
import type { TranscriptTurn } from './types.js';

/** Why the block is sent: the session missed turns (`catch-up`), or it is a new session (`reseed`). */
export type HistoryKind = 'catch-up' | 'reseed';

/** A turn as the block needs it. */
export type BlockTurn = Pick<TranscriptTurn, 'seq' | 'role' | 'text' | 'images' | 'model'>;

/** The turns that fit a budget. */
export interface HistorySelection {
  /** The newest turns whose text fits the budget, oldest first. */
  turns: BlockTurn[];
  /** Turns left out: those before `turns` (the budget's and the transcript's). */
  omitted: number;
}

/** A closing tag of the block's markup, any case, with any whitespace before its `>` (valid markup, so it must be escaped too). */
const CLOSERS = /<\/(turn|conversation-history)(\s*)>/gi;

/**
 * The newest turns whose text (with image lines) fits `budgetChars`, oldest first. When not even
 * the newest turn fits, it is still sent with its text cut to the budget (its head dropped), so a
 * reseed never loses the turn the user's message answers. A budget of 0 selects nothing.
 *
 * @param alreadyOmitted turns before `turns[0]` that are gone already (dropped from the transcript).
 */
export function selectHistory(turns: readonly BlockTurn[], budgetChars: number, alreadyOmitted = 0): HistorySelection {
  if (budgetChars <= 0) return { turns: [], omitted: alreadyOmitted + turns.length };
  if (turns.length === 0) return { turns: [], omitted: alreadyOmitted };
  let used = 0;
  let first = turns.length;
  while (first > 0) {
    const size = turnText(turns[first - 1]!).length;
    if (used + size > budgetChars) break;
    used += size;
    first -= 1;
  }
  if (first === turns.length) {
    const newest = turns[turns.length - 1]!;
    const text = turnText(newest);
    return {
      turns: [{ ...newest, text: `[…] ${text.slice(text.length - budgetChars)}`, images: [] }],
      omitted: alreadyOmitted + turns.length - 1,
    };
  }
  return { turns: turns.slice(first), omitted: alreadyOmitted + first };
}

/** A turn's text plus one `[image: name (type)]` line per image placeholder. */
export function turnText(turn: Pick<TranscriptTurn, 'text' | 'images'>): string {
  const images = turn.images ?? [];
  if (images.length === 0) return turn.text;
  const lines = images.map((image) => `[image: ${image.name} (${image.mimeType})]`);
  return (turn.text === '' ? lines : [turn.text, ...lines]).join('\n');
}

const INTRO: Readonly<Record<HistoryKind, string>> = {
  'catch-up':
    'These turns of our conversation were answered elsewhere since your last reply. Read them for context, then reply to the message after the block.',
  reseed:
    'This is our conversation so far (earlier replies may come from other assistants). Read it for context, then reply to the message after the block.',
};

/**
 * Render the history block, or `''` when the selection is empty and nothing was omitted.
 *
 * ```text
 * <intro line>
 * <conversation-history kind="reseed" turns="2" omitted="3">
 * [3 earlier turns are left out]
 * <turn seq="4" role="user">
 * …
 * </turn>
 * <turn seq="5" role="assistant" model="anthropic/claude-opus-4-6">
 * …
 * </turn>
 * </conversation-history>
 * ```
 * A `</turn>` or `</conversation-history>` inside a turn's text is written as `<\/turn>` (resp.
 * `<\/conversation-history>`), so a turn can never close the block.
 */
export function renderHistoryBlock(kind: HistoryKind, selection: HistorySelection): string {
  if (selection.turns.length === 0 && selection.omitted === 0) return '';
  const lines = [INTRO[kind], `<conversation-history kind="${kind}" turns="${selection.turns.length}" omitted="${selection.omitted}">`];
  if (selection.omitted > 0) lines.push(`[${selection.omitted} earlier turn${selection.omitted === 1 ? ' is' : 's are'} left out]`);
  for (const turn of selection.turns) {
    const model = turn.role === 'assistant' && turn.model !== undefined ? ` model="${turn.model}"` : '';
    lines.push(`<turn seq="${turn.seq}" role="${turn.role}"${model}>`, turnText(turn).replace(CLOSERS, '<\\/$1$2>'), '</turn>');
  }
  lines.push('</conversation-history>');
  return lines.join('\n');
}

/**
 * The prompt of a CLI turn: the history block (if any), the image paths of a backend without
 * `imageArg` (if any), then the user's message, separated by blank lines. The message is last.
 */
export function composePrompt(parts: { history: string; imagePaths: readonly string[]; message: string }): string {
  const imageLines = parts.imagePaths.length === 0 ? '' : parts.imagePaths.join('\n');
  return [parts.history, imageLines, parts.message].filter((part) => part !== '').join('\n\n');
}
