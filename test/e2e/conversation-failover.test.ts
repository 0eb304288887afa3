/**
 * Issue 9's five-turn conversation, end to end, with a session key: the API primary (stub A), the
 * REAL `claude` (stub B) and the REAL `codex` (stub C) take turns answering one conversation, and
 * each stub's request log shows that every candidate answered that conversation (the API's native
 * history, the CLI's reseed / catch-up history block ending with the user's message). Then a caller's
 * `messages` that differ from the stored transcript: the stored Claude session is not resumed blindly.
 *
 * Behaviour: `docs/conversations.md`. Assertions are on what the stubs received, never on times.
 */
import { describe, expect, it } from 'vitest';
import { apiRecovers, lastUserContent, messagesOf, runTurn, useConversationRig, MODELS } from '../support/conversation-rig.js';

const KEY = 'demo';
const USER = [
  'Remember the fruit kiwi.',
  'Which fruit did I mention?',
  'Now remember the colour teal.',
  'Which colour did I mention?',
  'List everything I asked you to remember.',
];
const ANSWER = ['API noted kiwi.', 'Claude says: kiwi.', 'API noted teal.', 'Claude says: teal.', 'Codex says: kiwi and teal.'];

const { api: API_MODEL, claude: CLAUDE_MODEL, codex: CODEX_MODEL } = MODELS;
const currentRig = useConversationRig();
/** Per-test limit: each real CLI spawn costs seconds, more on a loaded machine (the test measures no time). */
const SLOW = 180_000;

/** The `<turn>` element of the history block for one turn. */
function turnElement(seq: number, role: 'user' | 'assistant', text: string, model?: string): string {
  return `<turn seq="${seq}" role="${role}"${model === undefined ? '' : ` model="${model}"`}>\n${text}\n</turn>`;
}

/** The history block closes right before the user's message, which is the last thing the CLI reads. */
function expectBlockThenMessage(prompt: string, message: string): void {
  const tail = `</conversation-history>\n\n${message}`;
  expect(prompt.slice(-tail.length)).toBe(tail);
}

describe('one conversation over a session key survives the API failing, then Claude failing', () => {
  it(
    'every candidate answers the same five-turn conversation, and the transcript and bindings record who saw what',
    async () => {
      const rig = currentRig();
      const ask = (message: string) => () => rig.runtime.run({ message, sessionKey: KEY, cwd: rig.cwd, timeoutMs: 120_000 });

      // Turn 1: the API answers a conversation of one message.
      const [r1, q1] = await runTurn(rig, { api: 'ok', answer: ANSWER[0]! }, ask(USER[0]!));
      expect(r1).toMatchObject({ model: API_MODEL, backend: 'api', text: ANSWER[0] });
      expect(q1.api.map(messagesOf)).toEqual([[{ role: 'user', text: USER[0] }]]);

      // Turn 2: the API is rate limited; Claude starts a new session seeded with turn 1.
      const [r2, q2] = await runTurn(rig, { api: { status: 429 }, answer: ANSWER[1]! }, ask(USER[1]!));
      expect(r2).toMatchObject({ model: CLAUDE_MODEL, backend: 'cli', text: ANSWER[1] });
      expect(r2.attempts).toEqual([
        expect.objectContaining({ model: API_MODEL, backend: 'api', ok: false, reason: 'rate_limit' }),
        expect.objectContaining({ model: CLAUDE_MODEL, backend: 'cli', ok: true, continuation: 'reseed', historyTurns: 2 }),
      ]);
      expect(q2.api).toHaveLength(1);
      expect(q2.claude).toHaveLength(1);
      const reseed = lastUserContent(q2.claude[0]!);
      expect(reseed).toContain('<conversation-history kind="reseed" turns="2" omitted="0">');
      expect(reseed).toContain(turnElement(1, 'user', USER[0]!));
      expect(reseed).toContain(turnElement(2, 'assistant', ANSWER[0]!, API_MODEL));
      expectBlockThenMessage(reseed, USER[1]!);
      await apiRecovers(rig);

      // Turn 3: the API is back and gets turns 1–2 (Claude's reply included) as native messages.
      const [r3, q3] = await runTurn(rig, { api: 'ok', answer: ANSWER[2]! }, ask(USER[2]!));
      expect(r3).toMatchObject({ model: API_MODEL, backend: 'api', text: ANSWER[2] });
      expect(q3.api.map(messagesOf)).toEqual([
        [
          { role: 'user', text: USER[0] },
          { role: 'assistant', text: ANSWER[0] },
          { role: 'user', text: USER[1] },
          { role: 'assistant', text: ANSWER[1] },
          { role: 'user', text: USER[2] },
        ],
      ]);
      expect(q3.claude).toEqual([]);

      // Turn 4: the API is overloaded; Claude resumes ITS session and is told only what it missed.
      const [r4, q4] = await runTurn(rig, { api: { status: 529 }, answer: ANSWER[3]! }, ask(USER[3]!));
      expect(r4).toMatchObject({ model: CLAUDE_MODEL, text: ANSWER[3], cliSessionId: r2.cliSessionId });
      expect(r4.attempts).toEqual([
        expect.objectContaining({ model: API_MODEL, ok: false, reason: 'overloaded' }),
        expect.objectContaining({ model: CLAUDE_MODEL, ok: true, continuation: 'catch-up', historyTurns: 2 }),
      ]);
      const [trace] = await rig.runtime.traces.find(r4.requestId);
      const argv = trace?.attempts.find((attempt) => attempt.model === CLAUDE_MODEL)?.argv ?? [];
      expect(argv[argv.indexOf('--resume') + 1]).toBe(r2.cliSessionId);
      expect(q4.claude).toHaveLength(1);
      expect(q4.claude[0]!.headers['x-claude-code-session-id']).toBe(r2.cliSessionId);
      const catchUp = lastUserContent(q4.claude[0]!);
      expect(catchUp).toContain('<conversation-history kind="catch-up" turns="2" omitted="0">');
      expect(catchUp).toContain(turnElement(5, 'user', USER[2]!));
      expect(catchUp).toContain(turnElement(6, 'assistant', ANSWER[2]!, API_MODEL));
      expectBlockThenMessage(catchUp, USER[3]!);
      expect(catchUp).not.toContain(USER[0]);
      expect(catchUp).not.toContain(USER[1]);
      // The resumed session carries turn 2 itself: Claude resent its own history before the catch-up.
      expect(messagesOf(q4.claude[0]!).map((m) => m.text)).toContainEqual(ANSWER[1]);
      await apiRecovers(rig);

      // Turn 5: the API fails, Claude's provider rejects the key; Codex never saw this conversation.
      const [r5, q5] = await runTurn(rig, { api: { status: 529 }, claude: { status: 401 }, answer: ANSWER[4]! }, ask(USER[4]!));
      expect(r5).toMatchObject({ model: CODEX_MODEL, backend: 'cli', text: ANSWER[4] });
      expect(r5.attempts).toEqual([
        expect.objectContaining({ model: API_MODEL, ok: false, reason: 'overloaded' }),
        expect.objectContaining({ model: CLAUDE_MODEL, ok: false, reason: 'auth', continuation: 'resume' }),
        expect.objectContaining({ model: CODEX_MODEL, ok: true, continuation: 'reseed', historyTurns: 8 }),
      ]);
      expect(q5.api).toHaveLength(1);
      expect(q5.codex).toHaveLength(1);
      const whole = lastUserContent(q5.codex[0]!);
      expect(whole).toContain('<conversation-history kind="reseed" turns="8" omitted="0">');
      const models = [API_MODEL, CLAUDE_MODEL, API_MODEL, CLAUDE_MODEL];
      for (let i = 0; i < 4; i++) {
        expect(whole).toContain(turnElement(2 * i + 1, 'user', USER[i]!));
        expect(whole).toContain(turnElement(2 * i + 2, 'assistant', ANSWER[i]!, models[i]));
      }
      expectBlockThenMessage(whole, USER[4]!);

      // The transcript: ten turns, who answered each, and how far each CLI session has seen.
      const transcript = await rig.runtime.sessions.transcript(KEY);
      expect(transcript.dropped).toBe(0);
      expect(transcript.turns.map((turn) => [turn.seq, turn.role, turn.text])).toEqual(
        USER.flatMap((text, i) => [
          [2 * i + 1, 'user', text],
          [2 * i + 2, 'assistant', ANSWER[i]],
        ]),
      );
      expect(transcript.turns.filter((turn) => turn.role === 'assistant').map((turn) => turn.model)).toEqual([...models, CODEX_MODEL]);
      const bindings = await rig.runtime.sessions.list(KEY);
      const seen = Object.fromEntries(bindings.map((binding) => [binding.backendId, [binding.seenSeq, binding.cliSessionId]]));
      expect(seen).toEqual({ 'claude-cli': [8, r2.cliSessionId], 'codex-cli': [10, r5.cliSessionId] });
    },
    SLOW,
  );
});

describe('messages that differ from the stored transcript', () => {
  it(
    'are answered by a new, reseeded Claude session, while messages that continue it resume the stored one',
    async () => {
      const rig = currentRig();
      const send = (messages: { role: 'user' | 'assistant'; content: string }[]) => () =>
        rig.runtime.run({ messages, sessionKey: KEY, cwd: rig.cwd, timeoutMs: 120_000 });
      const down = { status: 529 } as const;
      const original = [{ role: 'user' as const, content: USER[0]! }];

      const [first] = await runTurn(rig, { api: down, answer: ANSWER[1]! }, send(original));
      expect(first.attempts.at(-1)).toMatchObject({ model: CLAUDE_MODEL, ok: true, continuation: 'new' });

      // The caller's history continues the transcript: the stored session is resumed with the new message only.
      const continued = [...original, { role: 'assistant' as const, content: ANSWER[1]! }, { role: 'user' as const, content: USER[1]! }];
      const [second, q2] = await runTurn(rig, { api: down, answer: 'Claude says: kiwi, still.' }, send(continued));
      expect(second).toMatchObject({ model: CLAUDE_MODEL, cliSessionId: first.cliSessionId });
      expect(second.attempts.at(-1)).toMatchObject({ model: CLAUDE_MODEL, ok: true, continuation: 'resume' });
      expect(lastUserContent(q2.claude[0]!)).toBe(USER[1]);

      // The caller edited turn 1: what the stored session saw no longer matches, so it is not resumed.
      const edited = [
        { role: 'user' as const, content: 'Remember the fruit mango.' },
        { role: 'assistant' as const, content: ANSWER[1]! },
        { role: 'user' as const, content: USER[1]! },
      ];
      const [third, q3] = await runTurn(rig, { api: down, answer: 'Claude says: mango.' }, send(edited));
      expect(third.model).toBe(CLAUDE_MODEL);
      expect(third.attempts.at(-1)).toMatchObject({ model: CLAUDE_MODEL, ok: true, continuation: 'reseed', historyTurns: 2 });
      expect(third.cliSessionId).toEqual(expect.any(String));
      expect(third.cliSessionId).not.toBe(first.cliSessionId);
      expect((await rig.runtime.sessions.list(KEY)).map((binding) => binding.cliSessionId)).toEqual([third.cliSessionId]);
      const prompt = lastUserContent(q3.claude[0]!);
      expect(prompt).toContain(turnElement(1, 'user', 'Remember the fruit mango.'));
      expectBlockThenMessage(prompt, USER[1]!);
      expect(messagesOf(q3.claude[0]!).some((message) => message.text.includes(USER[0]!))).toBe(false);
      // The messages replaced the transcript.
      const transcript = await rig.runtime.sessions.transcript(KEY);
      expect(transcript.turns.map((turn) => turn.text)).toEqual(['Remember the fruit mango.', ANSWER[1], USER[1], 'Claude says: mango.']);
    },
    SLOW,
  );
});
