/**
 * Issue 9's five-turn conversation through `run({ messages })` with NO session key: the caller keeps
 * the history (appending each answer) and every candidate answers that conversation: the API
 * (stub A) as native messages, the REAL `claude` (stub B) and the REAL `codex` (stub C) in a reseed
 * history block every time, since nothing is stored. Nothing is written to the store.
 *
 * Behaviour: `docs/conversations.md#messages`. Assertions are on what the stubs received, never on times.
 */
import { expect, it } from 'vitest';
import type { RunRequest } from '../../src/index.js';
import {
  apiRecovers,
  lastUserContent,
  messagesOf,
  runTurn,
  useConversationRig,
  type TurnSchedule,
  MODELS,
} from '../support/conversation-rig.js';

/** One message of `run({ messages })` (the package index does not export `ChatMessage`). */
type ChatMessage = NonNullable<RunRequest['messages']>[number];

const { api: API_MODEL, claude: CLAUDE_MODEL, codex: CODEX_MODEL } = MODELS;
const currentRig = useConversationRig();
/** Per-test limit: each real CLI spawn costs seconds, more on a loaded machine (the test measures no time). */
const SLOW = 180_000;

/**
 * The reseed history block of the whole `history` (one `<turn>` per message), then `message`. The
 * caller's messages do not say which model answered, so no turn has a `model` attribute.
 */
function reseedPrompt(history: readonly ChatMessage[], message: string): string {
  const turns = history.map((turn, i) => `<turn seq="${i + 1}" role="${turn.role}">\n${String(turn.content)}\n</turn>\n`);
  return `<conversation-history kind="reseed" turns="${history.length}" omitted="0">\n${turns.join('')}</conversation-history>\n\n${message}`;
}

it(
  'a caller-kept history is answered by every candidate in turn, and nothing is stored',
  async () => {
    const rig = currentRig();
    const schedule: (TurnSchedule & { user: string })[] = [
      { user: 'Remember the fruit kiwi.', api: 'ok', answer: 'API noted kiwi.' },
      { user: 'Which fruit did I mention?', api: { status: 429 }, answer: 'Claude says: kiwi.' },
      { user: 'Now remember the colour teal.', api: 'ok', answer: 'API noted teal.' },
      { user: 'Which colour did I mention?', api: { status: 529 }, answer: 'Claude says: teal.' },
      { user: 'List everything I asked you to remember.', api: { status: 529 }, claude: { status: 401 }, answer: 'Codex says: both.' },
    ];
    const expected = [API_MODEL, CLAUDE_MODEL, API_MODEL, CLAUDE_MODEL, CODEX_MODEL];
    const messages: ChatMessage[] = [];
    const claudeSessions: (string | null)[] = [];
    for (const [i, turn] of schedule.entries()) {
      const history = [...messages];
      messages.push({ role: 'user', content: turn.user });
      const [result, requests] = await runTurn(rig, turn, () =>
        rig.runtime.run({ messages: [...messages], cwd: rig.cwd, timeoutMs: 120_000 }),
      );
      expect(result).toMatchObject({ model: expected[i], text: turn.answer, sessionKey: null });
      const answering = result.attempts.at(-1);
      // The API gets the caller's conversation as native messages on every turn it is tried.
      expect(requests.api.map(messagesOf)).toEqual([messages.map((m) => ({ role: m.role, text: m.content }))]);
      if (answering?.backend === 'cli') {
        // A CLI gets the whole history in a reseed block, ending with the new message.
        expect(answering).toMatchObject({ continuation: 'reseed', historyTurns: history.length });
        const cli = answering.model === CLAUDE_MODEL ? requests.claude : requests.codex;
        expect(cli).toHaveLength(1);
        const reseed = reseedPrompt(history, turn.user);
        expect(lastUserContent(cli[0]!).slice(-reseed.length)).toBe(reseed);
        if (answering.model === CLAUDE_MODEL) claudeSessions.push(result.cliSessionId);
        await apiRecovers(rig);
      }
      messages.push({ role: 'assistant', content: result.text });
    }
    // Claude, failing at turn 5, was also given the whole conversation (nothing stored to resume).
    const failedClaude = rig.claude.modelRequests().at(-1)!;
    const whole = reseedPrompt(messages.slice(0, 8), schedule[4]!.user);
    expect(lastUserContent(failedClaude).slice(-whole.length)).toBe(whole);
    // A new Claude session each time: nothing was stored to resume.
    expect(new Set(claudeSessions).size).toBe(2);
    expect(await rig.runtime.sessions.list()).toEqual([]);
    expect(await rig.runtime.sessions.conversations()).toEqual([]);
  },
  SLOW,
);
