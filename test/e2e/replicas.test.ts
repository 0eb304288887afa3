/**
 * Three `safetynet serve` replicas on one Redis (`safetynet.store: { kind: 'redis' }`), end to end:
 * real serve processes (`test/support/replicas.ts`), one real `redis-server` for the file, API
 * candidates on the loopback stub, CLI candidates as fixture CLIs. What the replicas share is
 * proven from the outside only: the answers, `x-safetynet-attempts`, `/metrics`, `/readyz`, what the
 * stub and the fixture CLIs received, and the transcript as `safetynet sessions show` prints it.
 *
 * No wall-clock time is asserted; every wait is a bounded poll. Rationale: `docs/replicas.md`.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fakeCliEntry } from '../support/fake-cli.js';
import { waitForProcessWithEnv } from '../support/processes.js';
import { useRedis } from '../support/redis-rig.js';
import { SAFETYNET_BIN, startReplicas, type ReplicaSet } from '../support/replicas.js';
import { startStubServer, type StubMode, type StubServer } from '../support/stub-server/index.js';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/bin');
const GATE_CLI = path.resolve(import.meta.dirname, '../cli/fixtures/gate-cli.mjs');
const SLOT_CLI = path.join(FIXTURES, 'slot-counter.sh');
/** `safetynet.store.leaseSeconds` of these replicas: a killed replica's lane frees after it. */
const LEASE_SECONDS = 1;
/** Keyless requests each replica answers during the Redis outage (more than the warnings it may print). */
const KEYLESS_EACH = 6;
/** Per-test limit: three serve processes start per test (the test measures no time). */
const SLOW = 120_000;

const { redis, freshPrefix } = useRedis('replicas');
let stub: StubServer;
/** What the stub answers for a model id (the test sets it; `echo` by default). */
let answerFor: (model: string) => StubMode = () => 'echo';
let set: ReplicaSet | undefined;

beforeAll(async () => {
  stub = await startStubServer({ modes: (call) => answerFor(String(call.request.body?.model ?? '')), requestBudget: 2000 });
});
afterEach(async () => {
  const stopping = set?.stop();
  set = undefined;
  answerFor = () => 'echo';
  await stopping;
});
afterAll(async () => {
  await stub?.close();
  await Promise.all(scratchFolders.splice(0).map((folder) => rm(folder, { recursive: true, force: true })));
});

const scratchFolders: string[] = [];
/** A temp folder for fixture CLI state, removed when the file ends (after the replicas using it stopped). */
async function scratch(name: string): Promise<string> {
  const folder = await mkdtemp(path.join(tmpdir(), `safetynet-replicas-${name}-`));
  scratchFolders.push(folder);
  return folder;
}

/** Two API providers on the stub (`stuba/model-a`, `stubb/model-b`), so a cooldown of one never covers the other. */
function providers(): Record<string, unknown> {
  const provider = { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-stub-not-a-real-key' };
  return { stuba: provider, stubb: provider };
}

/** Start three replicas on Redis, each test under its own key prefix. */
async function replicas(defaults: Record<string, unknown>): Promise<ReplicaSet> {
  set = await startReplicas({
    count: 3,
    config: {
      safetynet: {
        store: { kind: 'redis', url: redis().url, keyPrefix: freshPrefix(), commandTimeoutMs: 300, leaseSeconds: LEASE_SECONDS },
      },
      models: { providers: providers() },
      agents: { defaults },
    },
  });
  return set;
}

type Message = { role: 'user' | 'assistant'; content: string };

/** One answer of `POST /v1/chat/completions`. */
interface Answer {
  status: number;
  text: string;
  /** `x-safetynet-attempts` */
  attempts: string;
  /** `x-safetynet-request-id` ('' on failures) */
  requestId: string;
  /** The whole JSON body as text (an error's code and message included). */
  raw: string;
}

/** `POST /v1/chat/completions` on `url` (bounded by `timeoutMs`). */
async function chat(url: string, model: string, messages: Message[], sessionKey?: string, timeoutMs = 60_000): Promise<Answer> {
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(sessionKey === undefined ? {} : { 'x-session-id': sessionKey }) },
    body: JSON.stringify({ model, messages }),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const raw = await response.text();
  let text = '';
  try {
    text = (JSON.parse(raw) as { choices?: Array<{ message?: { content?: string } }> }).choices?.[0]?.message?.content ?? '';
  } catch {
    // not JSON: `raw` tells
  }
  const headers = response.headers;
  return {
    status: response.status,
    text,
    attempts: headers.get('x-safetynet-attempts') ?? '',
    requestId: headers.get('x-safetynet-request-id') ?? '',
    raw,
  };
}

/** The stored conversation of `key` as `safetynet sessions show <key> --json` prints it (run on the replicas' config). */
async function showSession(replicaSet: ReplicaSet, key: string) {
  const env: Record<string, string | undefined> = { ...process.env, ...replicaSet.commandEnv() };
  delete env['SAFETYNET_CONFIG'];
  const result = await execa(process.execPath, [SAFETYNET_BIN, 'sessions', 'show', key, '--json', '--config', replicaSet.configFile], {
    env,
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
  expect(result.exitCode, String(result.stderr)).toBe(0);
  return JSON.parse(String(result.stdout)) as {
    turns: number;
    transcript: { turns: Array<{ seq: number; role: string; text: string }> };
    backends: Array<{ backendId: string; cliSessionId: string }>;
  };
}

/** `safetynet trace <id> --json` run outside every replica (its own home, the replicas' config): the trace, or undefined. */
async function traceOf(
  replicaSet: ReplicaSet,
  requestId: string,
): Promise<{ requestId: string; attempts: Array<{ model: string }> } | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, ...replicaSet.commandEnv() };
  delete env['SAFETYNET_CONFIG'];
  const result = await execa(process.execPath, [SAFETYNET_BIN, 'trace', '--json', '--config', replicaSet.configFile, '--', requestId], {
    env,
    extendEnv: false,
    reject: false,
    timeout: 30_000,
  });
  return result.exitCode === 0 ? JSON.parse(String(result.stdout)) : undefined;
}

/** Poll (bounded) until `check` holds; the last value otherwise. */
async function until<T>(probe: () => Promise<T>, check: (value: T) => boolean, attempts = 200, intervalMs = 50): Promise<T> {
  let value = await probe();
  for (let i = 0; i < attempts && !check(value); i++) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await probe();
  }
  return value;
}

const metricsOf = (url: string) => fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) }).then((r) => r.text());
const readyStatus = (url: string) =>
  fetch(`${url}/readyz`, { signal: AbortSignal.timeout(10_000) }).then(
    (r) => r.status,
    () => 0,
  );

describe('three serve replicas on one Redis', () => {
  it(
    'a 429 seen by replica 1 makes replicas 2 and 3 skip that model on their next request (the cooldown is shared), and its trace is readable from anywhere',
    async () => {
      answerFor = (model) => (model === 'model-a' ? { status: 429 } : 'echo');
      const replicaSet = await replicas({ model: { primary: 'stuba/model-a', fallbacks: ['stubb/model-b'] } });
      const calls = (model: string) => stub.modelRequests().filter((r) => r.body?.model === model).length;
      const before = calls('model-a');

      const first = await chat(replicaSet.urls[0]!, 'stuba/model-a', [{ role: 'user', content: 'hit the limit' }]);
      expect(first.status, first.raw).toBe(200);
      expect(first.attempts).toMatch(/^stuba\/model-a=rate_limit, stubb\/model-b=ok$/);
      expect(calls('model-a')).toBe(before + 1);

      // The cooldown reaches the shared store (bounded wait on a read that calls no provider).
      const cooled = /safetynet_cooldowns_active\{key="stuba(\/model-a)?",reason="rate_limit"\} 1/;
      for (const url of replicaSet.urls.slice(1))
        expect(
          await until(
            () => metricsOf(url),
            (text) => cooled.test(text),
          ),
        ).toMatch(cooled);

      for (const url of replicaSet.urls.slice(1)) {
        const next = await chat(url, 'stuba/model-a', [{ role: 'user', content: 'skip it' }]);
        expect(next.status, next.raw).toBe(200);
        expect(next.attempts).toMatch(/^stuba\/model-a=skipped:rate_limit, stubb\/model-b=ok$/);
      }
      expect(calls('model-a'), 'replicas 2 and 3 never called the cooling model').toBe(before + 1);

      // Every replica's traces are in the shared store: replica 1's request, read by `safetynet trace` from elsewhere.
      const trace = await until(
        () => traceOf(replicaSet, first.requestId),
        (found) => found !== undefined,
        100,
        100,
      );
      expect(trace?.requestId).toBe(first.requestId);
      expect(trace?.attempts.map((attempt) => attempt.model)).toEqual(['stuba/model-a', 'stubb/model-b']);
    },
    SLOW,
  );

  it(
    'one conversation round-robin over the replicas keeps its whole history; a CLI session is resumed only on the replica that created it',
    async () => {
      const state = await scratch('fake-cli');
      const replicaSet = await replicas({ model: { primary: 'fake/default' }, cliBackends: { fake: fakeCliEntry(state) } });
      const KEY = 'round-robin';
      const order = [0, 0, 1, 2, 0, 1];
      const messages: Message[] = [];
      /** Which replica created each CLI session id (`--session-id`). */
      const createdOn = new Map<string, number>();
      for (const [turn, replica] of order.entries()) {
        const question = `question ${turn + 1} on replica ${replica}`;
        messages.push({ role: 'user', content: question });
        const answer = await chat(replicaSet.urls[replica]!, 'fake/default', messages, KEY);
        expect(answer.status, answer.raw).toBe(200);
        messages.push({ role: 'assistant', content: answer.text });

        const call = JSON.parse(readFileSync(path.join(state, 'last-call.json'), 'utf8')) as { argv: string[]; prompt: string };
        const flag = (name: string) => (call.argv.includes(name) ? call.argv[call.argv.indexOf(name) + 1] : undefined);
        const resumed = flag('--resume');
        const created = flag('--session-id');
        if (resumed !== undefined) {
          // Resumed only where it was created: the fixture CLI's sessions live in that replica's working directory.
          expect(createdOn.get(resumed), `turn ${turn + 1} resumed ${resumed}`).toBe(replica);
        } else {
          expect(created, `turn ${turn + 1}: a new CLI session`).toBeDefined();
          createdOn.set(created!, replica);
          // A new session on a later turn is reseeded: every earlier question is in its prompt.
          for (const earlier of messages.filter((m) => m.role === 'user').slice(0, -1)) expect(call.prompt).toContain(earlier.content);
        }
        expect(call.prompt.trimEnd().endsWith(question)).toBe(true);
        // Turn 2 runs on the replica of turn 1: that session is resumed there, not reseeded.
        if (turn === 1) expect(resumed).toBeDefined();
        // Turns 3 and 4 run on replicas that never created a session: reseeded, never resumed.
        if (turn === 2 || turn === 3) expect(resumed).toBeUndefined();
      }

      const stored = await showSession(replicaSet, KEY);
      expect(stored.turns).toBe(order.length * 2);
      expect(stored.transcript.turns.map((t) => ({ role: t.role, content: t.text }))).toEqual(messages);
    },
    SLOW,
  );

  it(
    '30 concurrent turns of one key over the three replicas never overlap, and each is answered or refused as busy',
    async () => {
      const slots = await scratch('slots');
      const replicaSet = await replicas({
        model: { primary: 'slot/default' },
        cliBackends: {
          slot: {
            command: SLOT_CLI,
            args: [],
            resumeArgs: ['--resume', '{sessionId}'],
            output: 'json',
            sessionArg: '--session-id',
            sessionMode: 'always',
            promptSeparator: '--',
            env: { SLOT_DIR: slots },
          },
        },
      });
      const KEY = 'one-lane';
      const answers = await Promise.all(
        Array.from({ length: 30 }, (_, i) =>
          chat(replicaSet.at(i).url, 'slot/default', [{ role: 'user', content: `turn ${i}` }], KEY, 90_000),
        ),
      );
      const answered = answers.filter((a) => a.status === 200);
      const busy = answers.filter((a) => a.status === 409);
      expect(
        answers.filter((a) => a.status !== 200 && a.status !== 409).map((a) => `${a.status} ${a.raw}`),
        'only answers and busy refusals',
      ).toEqual([]);
      for (const refusal of busy) expect(refusal.raw).toMatch(/busy/i);
      expect(answered.length + busy.length).toBe(30);
      expect(answered.length).toBeGreaterThan(0);
      for (const answer of answered) expect(answer.text).toMatch(/^answer: turn \d+$/);

      // Every CLI run saw itself alone (counts.log: how many ran when each started).
      const counts = readFileSync(path.join(slots, 'counts.log'), 'utf8').trim().split('\n').map(Number);
      expect(
        counts.filter((count) => count !== 1),
        'overlapping turns',
      ).toEqual([]);
      expect(counts.length, 'one CLI run per answered turn').toBe(answered.length);

      // Each request sent its own one-message conversation, so each commit replaced the transcript:
      // what is stored is one whole exchange, of an answered turn.
      const stored = await showSession(replicaSet, KEY);
      const turns = stored.transcript.turns.map((t) => ({ role: t.role, text: t.text }));
      expect(turns).toHaveLength(2);
      expect(turns[0]?.role).toBe('user');
      expect(turns[1]).toEqual({ role: 'assistant', text: `answer: ${turns[0]?.text}` });
      expect(answered.map((a) => a.text)).toContain(turns[1]?.text);
    },
    SLOW,
  );

  it(
    'a replica killed with kill -9 mid-turn leaves nothing half-written, and its lease expires so another replica takes the key',
    async () => {
      const gate = path.join(await scratch('gate'), 'open');
      const replicaSet = await replicas({
        model: { primary: 'gate/default' },
        cliBackends: { gate: { command: GATE_CLI, output: 'json', env: { GATE_FILE: gate } } },
      });
      const KEY = 'killed';
      writeFileSync(gate, 'open');
      const first = await chat(replicaSet.urls[0]!, 'gate/default', [{ role: 'user', content: 'first' }], KEY);
      expect(first.status, first.raw).toBe(200);
      rmSync(gate);

      const history: Message[] = [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: first.text },
      ];
      const doomed = chat(replicaSet.urls[0]!, 'gate/default', [...history, { role: 'user', content: 'KILLED-TURN' }], KEY).catch(
        (error: unknown) => error,
      );
      // The turn is in flight: its CLI runs (so replica 0 holds the key's lane).
      expect(await waitForProcessWithEnv(`GATE_FILE=${gate}`)).toBe(true);
      expect((await replicaSet.kill(0, 'SIGKILL')).signal).toBe('SIGKILL');
      expect(await doomed).toBeInstanceOf(Error);
      writeFileSync(gate, 'open');

      // Replica 1 takes the key once the dead replica's lease has expired (bounded: lease + slack).
      const next = await chat(
        replicaSet.urls[1]!,
        'gate/default',
        [...history, { role: 'user', content: 'after the kill' }],
        KEY,
        LEASE_SECONDS * 1000 + 30_000,
      );
      expect(next.status, next.raw).toBe(200);
      // Replica 1 did not create the gate CLI's session: its prompt is reseeded with the stored turns.
      expect(next.text).toMatch(/^released: [\s\S]*\nfirst\n[\s\S]*\nafter the kill$/);
      expect(next.text).not.toContain('KILLED-TURN');

      const stored = await showSession(replicaSet, KEY);
      expect(stored.transcript.turns.map((t) => t.text)).toEqual(['first', first.text, 'after the kill', next.text]);
      expect(JSON.stringify(stored)).not.toContain('KILLED-TURN');
    },
    SLOW,
  );

  it(
    'Redis stopped mid-load: keyless requests are still answered (cooldowns fail open), keyed ones get a 503 naming SAFETYNET_STORE_UNAVAILABLE; after a restart the replicas recover',
    async () => {
      const replicaSet = await replicas({ model: { primary: 'stuba/model-a', fallbacks: ['stubb/model-b'] } });
      const ask = (url: string, content: string, key?: string) => chat(url, 'stuba/model-a', [{ role: 'user', content }], key, 30_000);
      for (const url of replicaSet.urls) expect((await ask(url, 'before', 'outage-key')).status).toBe(200);
      const warningsBefore = replicaSet.replicas.map((r) => warnings(r.stderr()));

      await redis().pause();
      const keyless = [];
      for (let i = 0; i < 3 * KEYLESS_EACH; i++) keyless.push(await ask(replicaSet.at(i).url, `keyless ${i}`));
      expect(keyless.map((a) => `${a.status} ${a.attempts}`)).toEqual(keyless.map(() => '200 stuba/model-a=ok'));

      for (const url of replicaSet.urls) {
        const keyed = await ask(url, 'keyed', 'outage-key');
        expect(keyed.status, keyed.raw).toBe(503);
        expect(keyed.raw).toContain('SAFETYNET_STORE_UNAVAILABLE');
        expect(
          await until(
            () => readyStatus(url),
            (status) => status === 503,
          ),
        ).toBe(503);
      }
      // Counted, and warned about once per outage rather than once per request.
      const failOpen = (await Promise.all(replicaSet.urls.map(metricsOf))).map((text) =>
        [...text.matchAll(/^safetynet_store_fail_open_total(?:\{[^}]*\})? (\d+(?:\.\d+)?)$/gm)].reduce((sum, m) => sum + Number(m[1]), 0),
      );
      for (const [i, count] of failOpen.entries()) expect(count, `replica-${i} fail-open count`).toBeGreaterThanOrEqual(1);
      for (const [i, replica] of replicaSet.replicas.entries()) {
        const during = warnings(replica.stderr()) - warningsBefore[i]!;
        expect(during, `replica-${i} warned`).toBeGreaterThanOrEqual(1);
        expect(during, `replica-${i} warned per request`).toBeLessThan(KEYLESS_EACH);
      }

      await redis().resume();
      for (const url of replicaSet.urls) {
        expect(
          await until(
            () => readyStatus(url),
            (status) => status === 200,
            300,
            100,
          ),
        ).toBe(200);
        const keyed = await until(
          () => ask(url, 'after', 'outage-key'),
          (a) => a.status === 200,
          50,
          100,
        );
        expect(keyed.status, keyed.raw).toBe(200);
      }
      expect(
        replicaSet.replicas.map((r) => r.exited()),
        'no replica restarted',
      ).toEqual([false, false, false]);
    },
    SLOW,
  );
});

/** `safetynet: warning:` lines printed so far. */
function warnings(stderr: string): number {
  return stderr.split('\n').filter((line) => line.startsWith('safetynet: warning:')).length;
}
