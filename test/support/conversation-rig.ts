/**
 * The rig of the conversation-failover end-to-end tests (`test/e2e/conversation-failover*.test.ts`):
 * the candidate chain `anthropic/claude-opus-4-6` (the API provider, against stub A) →
 * `claude-cli/opus-4.6` (the REAL `claude`, against stub B) → `codex-cli/gpt-5.3-codex` (the REAL
 * `codex`, against stub C), one loopback stub per candidate so that each stub's request log is that
 * candidate's alone, and readers of what each stub received.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect } from 'vitest';
import { createRuntime, type Runtime } from '../../src/index.js';
import { CooldownStore } from '../../src/store/index.js';
import { waitUntilNoProcessWithEnv } from './processes.js';
import { claudeBin, claudeStubEnv, codexBin, codexStubEnv } from './real-cli.js';
import { isRecord } from './stub-server/protocol.js';
import { startStubServer, type RecordedRequest, type StubMode, type StubServer } from './stub-server/index.js';

/**
 * The candidate chain: the API primary, then the real Claude Code, then the real Codex.
 * `apiRecovers` and `startConversationRig` use these refs.
 */
export const MODELS = Object.freeze({
  api: 'anthropic/claude-opus-4-6',
  claude: 'claude-cli/opus-4.6',
  codex: 'codex-cli/gpt-5.3-codex',
} as const);

/** The three stubs, the homes of the two CLIs and a runtime wired to them, in one temp folder. */
export interface ConversationRig {
  /** The working directory to run the CLIs in (inside the rig's temp folder). */
  cwd: string;
  /** Stub A: the Anthropic Messages API of the `anthropic` provider. */
  api: StubServer;
  /** Stub B: the Anthropic Messages API the real `claude` talks to. */
  claude: StubServer;
  /** Stub C: the OpenAI Responses API the real `codex` talks to. */
  codex: StubServer;
  /** The LevelDB state folder of the runtime. */
  storeLocation: string;
  runtime: Runtime;
  /**
   * Closes the runtime and the stubs, waits (bounded) for every `claude` / `codex` process of the rig
   * to end, removes the temp folder, and resolves with the pids still alive (none, when nothing leaked).
   */
  close(): Promise<number[]>;
}

/** Starts the three stubs (answering `ok`) and a runtime with the chain, in a new temp folder. */
export async function startConversationRig(): Promise<ConversationRig> {
  const dir = await mkdtemp(join(tmpdir(), 'safetynet-conversation-'));
  const cwd = await mkdtemp(join(dir, 'cwd-'));
  const api = await startStubServer({ modes: ['ok'] });
  const claude = await startStubServer({ modes: ['ok'] });
  const codex = await startStubServer({ modes: ['ok'] });
  const claudeHome = join(dir, 'claude-home');
  await mkdir(claudeHome, { recursive: true });
  const codexEnv = codexStubEnv(codex, join(dir, 'codex-home'));
  const storeLocation = join(dir, 'state');
  const runtime = await createRuntime({
    config: {
      agents: {
        defaults: {
          model: { primary: MODELS.api, fallbacks: [MODELS.claude, MODELS.codex] },
          cliBackends: {
            'claude-cli': { command: claudeBin, env: claudeStubEnv(claude, claudeHome) },
            'codex-cli': { command: codexBin, env: codexEnv },
          },
        },
      },
      models: { providers: { anthropic: { api: 'anthropic-messages', baseUrl: api.url, apiKey: 'sk-stub-not-a-real-key' } } },
    },
    storeLocation,
  });
  return {
    cwd,
    api,
    claude,
    codex,
    storeLocation,
    runtime,
    async close() {
      await runtime.close();
      await Promise.all([api.close(), claude.close(), codex.close()]);
      const left = [
        ...(await waitUntilNoProcessWithEnv(`HOME=${claudeHome}`)),
        ...(await waitUntilNoProcessWithEnv(`CODEX_HOME=${codexEnv.CODEX_HOME}`)),
      ];
      await rm(dir, { recursive: true, force: true });
      return left;
    },
  };
}

/**
 * A fresh rig for each test of the calling file (`beforeEach`), closed after it (`afterEach`), which
 * fails the test when a `claude` or `codex` process outlived it. Call the returned function inside a
 * test to get that test's rig.
 */
export function useConversationRig(): () => ConversationRig {
  let rig: ConversationRig | undefined;
  beforeEach(async () => {
    rig = await startConversationRig();
  });
  afterEach(async () => {
    const closing = rig?.close();
    rig = undefined;
    expect(await closing).toEqual([]);
  });
  return () => {
    if (rig === undefined) throw new Error('useConversationRig: no rig outside a test');
    return rig;
  };
}

/** What each stub does with the model calls of one turn, and the text an `ok` answer carries. */
export interface TurnSchedule {
  api: StubMode;
  claude?: StubMode;
  codex?: StubMode;
  /** The `ok` answer text of every stub for this turn. */
  answer: string;
}

/** The model calls each stub received during one turn. */
export interface TurnRequests {
  api: RecordedRequest[];
  claude: RecordedRequest[];
  codex: RecordedRequest[];
}

/**
 * Sets each stub's mode and answer text for the next turn, runs `turn`, and returns its result with
 * the model calls each stub received meanwhile.
 */
export async function runTurn<T>(rig: ConversationRig, schedule: TurnSchedule, turn: () => Promise<T>): Promise<[T, TurnRequests]> {
  const stubs = { api: rig.api, claude: rig.claude, codex: rig.codex };
  const before = {
    api: rig.api.modelRequests().length,
    claude: rig.claude.modelRequests().length,
    codex: rig.codex.modelRequests().length,
  };
  for (const name of ['api', 'claude', 'codex'] as const) {
    stubs[name].setModes([schedule[name] ?? 'ok']);
    stubs[name].setText(schedule.answer);
  }
  const result = await turn();
  const since = (name: keyof typeof stubs) => stubs[name].modelRequests().slice(before[name]);
  return [result, { api: since('api'), claude: since('claude'), codex: since('codex') }];
}

/**
 * Lets the API provider answer again: waits (bounded, 200 × 25 ms) for the cooldown its failed
 * attempt wrote in the background, then removes it. Stands for the time a real outage takes to
 * pass, so that the next turn's API attempt reaches stub A instead of being skipped.
 *
 * @throws Error when no cooldown of `MODELS.api` appeared.
 */
export async function apiRecovers(rig: ConversationRig): Promise<void> {
  const cooldowns = new CooldownStore({ location: rig.storeLocation });
  try {
    for (let i = 0; i < 200; i++) {
      if ((await cooldowns.read([MODELS.api])).has(MODELS.api)) {
        await cooldowns.clear(MODELS.api);
        return;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`no cooldown of ${MODELS.api} was written`);
  } finally {
    await cooldowns.close();
  }
}

/** The text parts of a message `content` (a string, or parts with `text`), in order. */
function textParts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) => (isRecord(part) && typeof part['text'] === 'string' ? [part['text']] : []));
}

/** The messages of a model call (Anthropic/Chat `messages`, Responses `input` message items), as sent. */
function messageItems(request: RecordedRequest): Record<string, unknown>[] {
  const body = isRecord(request.json) ? request.json : {};
  const items: unknown[] = Array.isArray(body['messages']) ? body['messages'] : Array.isArray(body['input']) ? body['input'] : [];
  return items.filter(
    (item): item is Record<string, unknown> =>
      isRecord(item) && typeof item['role'] === 'string' && (item['type'] === undefined || item['type'] === 'message'),
  );
}

/** Every message of a model call, in order: its role and its text parts joined by newlines (full length). */
export function messagesOf(request: RecordedRequest): { role: string; text: string }[] {
  return messageItems(request).map((item) => ({ role: String(item['role']), text: textParts(item['content']).join('\n') }));
}

/**
 * The last text the CLI put in the request, full length: the last text part of the last `user`
 * message (Claude puts a `<system-reminder>` part before the prompt, Codex an
 * `<environment_context>` message before it; neither comes after it).
 */
export function lastUserContent(request: RecordedRequest): string {
  const lastUser = messageItems(request)
    .filter((item) => item['role'] === 'user')
    .at(-1);
  return textParts(lastUser?.['content']).at(-1) ?? '';
}
