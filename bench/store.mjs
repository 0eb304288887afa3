// 6. Store: session get / recordSuccess and cooldown reads at 10k and 100k stored sessions,
// through the library's stores vs the same operations on a raw `level` database; the transcript
// read and per-turn commit at 10 and 200 stored turns vs today's turn (get + recordSuccess).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Level } from 'level';
import { compareFigures, COMPARE_HEADERS, compareRow, DIST, dist, fixtureBackend, interleave, log, paired, tempDir } from './lib.mjs';

const BACKENDS = ['claude-cli', 'codex-cli'];

function binding(sessionKey, backendId, i) {
  return {
    sessionKey,
    backendId,
    cliSessionId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    cwd: '/home/bench/project',
    createdAt: 1_700_000_000_000 + i,
    updatedAt: 1_700_000_000_000 + i,
    turns: 1 + (i % 7),
    model: `${backendId}/default`,
  };
}

function cooldown(key, now) {
  return { key, scope: 'model', reason: 'overloaded', failures: 1, since: now, until: now + 60_000, lastFailureAt: now };
}

/** `count` bindings (half per backend) and 100 cooldowns, written with batches through `level`. */
async function populate(location, count, bindingKey, now) {
  const db = new Level(location, { valueEncoding: 'json' });
  await db.open();
  const sessions = db.sublevel('sessions', { valueEncoding: 'json' });
  const cooldowns = db.sublevel('cooldowns', { valueEncoding: 'json' });
  const chunk = 5000;
  for (let start = 0; start < count; start += chunk) {
    const ops = [];
    for (let i = start; i < Math.min(count, start + chunk); i++) {
      const backendId = BACKENDS[i % 2];
      const sessionKey = `conversation-${Math.floor(i / 2)}`;
      ops.push({ type: 'put', key: bindingKey(sessionKey, backendId), value: binding(sessionKey, backendId, i) });
    }
    await sessions.batch(ops);
  }
  await cooldowns.batch(
    Array.from({ length: 100 }, (_, i) => ({ type: 'put', key: `bench/model-${i}`, value: cooldown(`bench/model-${i}`, now) })),
  );
  return { db, sessions, cooldowns };
}

export async function storeBench({ quick }) {
  const { bindingKey, CooldownStore, LevelHandle, SessionStore } = await dist('store/index.js');
  const sizes = quick ? [1_000, 5_000] : [10_000, 100_000];
  const n = quick ? 50 : 3000;
  const cycles = quick ? 5 : 100;
  const rows = [];
  const figures = {};
  for (const size of sizes) {
    const dir = await tempDir(`store-${size}`);
    const now = Date.now();
    log(`  ${size} sessions: populating`);
    const subject = await populate(join(dir, 'store'), size, bindingKey, now);
    await subject.db.close();
    const raw = await populate(join(dir, 'raw'), size, bindingKey, now);
    const handle = new LevelHandle(join(dir, 'store'), { idleCloseMs: 60_000 });
    const sessions = new SessionStore({ handle });
    const cooldowns = new CooldownStore({ handle });
    const pick = (i) => {
      const k = Math.abs((i * 7919) % size);
      return { sessionKey: `conversation-${Math.floor(k / 2)}`, backendId: BACKENDS[k % 2], k };
    };
    try {
      log(`  ${size} sessions: ${n} pairs per operation, ${cycles} open/close cycles`);
      const get = await paired({
        n,
        baseline: (i) => raw.sessions.get(bindingKey(pick(i).sessionKey, pick(i).backendId)),
        subject: async (i) => {
          const found = await sessions.get(pick(i).sessionKey, pick(i).backendId);
          if (found === undefined) throw new Error('binding not found');
        },
      });
      const put = await paired({
        n,
        baseline: async (i) => {
          const { sessionKey, backendId, k } = pick(i);
          const key = bindingKey(sessionKey, backendId);
          const previous = await raw.sessions.get(key);
          await raw.sessions.put(key, {
            ...(previous ?? binding(sessionKey, backendId, k)),
            updatedAt: Date.now(),
            turns: (previous?.turns ?? 0) + 1,
          });
        },
        subject: (i) => {
          const { sessionKey, backendId, k } = pick(i);
          return sessions.recordSuccess({
            sessionKey,
            backendId,
            cliSessionId: binding(sessionKey, backendId, k).cliSessionId,
            cwd: '/home/bench/project',
          });
        },
      });
      const keysOf = (i) => [`bench/model-${i % 150}`, 'bench'];
      const read = await paired({ n, baseline: (i) => raw.cooldowns.getMany(keysOf(i)), subject: (i) => cooldowns.read(keysOf(i), now) });
      // What a `safetynet agent --session` process pays: open the folder, one get, close.
      await raw.db.close();
      await handle.close();
      const cycle = await paired({
        n: cycles,
        warmup: 2,
        baseline: async (i) => {
          const db = new Level(join(dir, 'raw'), { valueEncoding: 'json' });
          await db.open();
          await db.sublevel('sessions', { valueEncoding: 'json' }).get(bindingKey(pick(i).sessionKey, pick(i).backendId));
          await db.close();
        },
        subject: async (i) => {
          const store = new SessionStore({ location: join(dir, 'store') });
          await store.get(pick(i).sessionKey, pick(i).backendId);
          await store.close();
        },
      });
      const label = `${size.toLocaleString('en-US')} sessions`;
      rows.push(
        compareRow(`${label}: session get`, get),
        compareRow(`${label}: session recordSuccess (get + put)`, put),
        compareRow(`${label}: cooldown read (ref + provider)`, read),
        compareRow(`${label}: open + session get + close (idleCloseMs 0)`, cycle),
      );
      Object.assign(
        figures,
        compareFigures(`s${size}.get`, get),
        compareFigures(`s${size}.put`, put),
        compareFigures(`s${size}.cooldownRead`, read),
        compareFigures(`s${size}.openGetClose`, cycle),
      );
    } finally {
      await handle.close();
      if (raw.db.status === 'open') await raw.db.close();
    }
  }
  const traces = await traceWrites(quick);
  rows.push(...traces.rows);
  Object.assign(figures, traces.figures);
  const transcripts = await transcriptTurns(quick);
  Object.assign(figures, transcripts.figures);
  return {
    id: 'store',
    title: '6. Store (LevelDB)',
    method:
      `Two LevelDB folders filled alike with ${sizes.map((s) => s.toLocaleString('en-US')).join(' and ')} session bindings (half \`claude-cli\`, half \`codex-cli\`, keys as \`bindingKey()\` makes them) and 100 cooldowns. ` +
      "Subject: the library's `SessionStore` / `CooldownStore` sharing one `LevelHandle` kept open (`idleCloseMs` 60 s, as a busy gateway: the runtime uses 250 ms). " +
      'Baseline: the same operation on a raw `level` database (`sublevel(…, { valueEncoding: "json" })`): `get`; `get` + `put` for `recordSuccess` (which is a read-modify-write); `getMany` of a ref and its provider for the cooldown read. ' +
      'Keys are spread over the whole key space. The "open + get + close" rows open the folder, read one binding and close it again, as one `safetynet agent --session` process does (the `SessionStore` default `idleCloseMs: 0`). ' +
      'Transcript table: `SessionStore.transcript()` (one range read) and `SessionStore.commitTurn()` of one exchange (two ~500-character turns) with a CLI binding, on a conversation kept at 10 and at 200 turns (`maxTurns` 10 and 200, so every commit also drops the two oldest turns, the steady state), vs today\'s turn: `get` + `recordSuccess` of a binding; interleaved, µs. "read + commit" adds the p50s and the p99s (an upper bound: the runtime calls `commitTurn` instead of `recordSuccess`). ' +
      'Trace rows: `TraceStore.write()` (`dist/store/trace-store.js`, called at the end of every request with the default config) of a real request trace (taken from a fixture-CLI `run()`), with 50 and with 500 (the default cap) traces already stored, vs a raw `put` of the same JSON. Pairs interleaved, ms.',
    tables: [{ headers: COMPARE_HEADERS, rows }, ...transcripts.tables],
    figures,
    targets: transcripts.targets,
  };
}

/** Microseconds of a duration in ms. */
const us = (ms) => ms * 1000;

/**
 * `transcript()` and `commitTurn()` of one exchange with a binding at 10 and 200 stored turns, and
 * today's turn (`get` + `recordSuccess`), interleaved, on one folder kept open.
 */
async function transcriptTurns(quick) {
  const { LevelHandle, SessionStore } = await dist('store/index.js');
  if (typeof SessionStore.prototype.commitTurn !== 'function') return { tables: [], figures: {}, targets: [] };
  const { chainTurns } = await dist('conversation/digest.js');
  const dir = await tempDir('transcripts');
  const handle = new LevelHandle(join(dir, 'store'), { idleCloseMs: 60_000 });
  const n = quick ? 50 : 3000;
  const binding = {
    backendId: 'claude-cli',
    cliSessionId: '00000000-0000-4000-8000-000000000001',
    cwd: '/home/bench/project',
    model: 'claude-cli/opus-4.6',
  };
  const text = (role, i) => `${role} turn ${i}: `.padEnd(500, 'lorem ipsum dolor sit amet ');
  let exchanges = 0;
  const exchangeAfter = (last) => {
    const i = exchanges++;
    const requestId = `bench${String(i).padStart(8, '0')}`;
    const answer = { role: 'assistant', text: text('assistant', i), model: binding.model, backend: 'cli', requestId, at: 0 };
    return chainTurns([{ role: 'user', text: text('user', i), requestId, at: 0 }, answer], last);
  };
  const rows = [];
  const figures = {};
  const targets = [];
  try {
    for (const stored of [10, 200]) {
      const store = new SessionStore({ handle, bounds: { maxTurns: stored, maxChars: 400_000 } });
      const sessionKey = `conversation-${stored}`;
      let last;
      const commit = async () => {
        const turns = exchangeAfter(last);
        await store.commitTurn({ sessionKey, write: { mode: 'append', storedSeq: last?.seq ?? 0 }, turns, binding });
        last = turns[1];
      };
      while ((last?.seq ?? 0) < stored) await commit();
      log(`  transcripts with ${stored} turns stored: ${n} rounds`);
      const today = { sessionKey: `today-${stored}`, ...binding };
      const result = await interleave({
        n,
        fns: {
          today: async () => {
            await store.get(today.sessionKey, today.backendId);
            await store.recordSuccess(today);
          },
          read: async () => {
            if ((await store.transcript(sessionKey)).turns.length !== stored) throw new Error('transcript length changed');
          },
          commit,
        },
      });
      const sum = { p50: result.read.p50 + result.commit.p50, p99: result.read.p99 + result.commit.p99 };
      const ratio = sum.p50 / result.today.p50;
      const label = `${stored} turns stored`;
      rows.push(
        [`${label}: transcript() read`, result.read.n, us(result.read.p50), us(result.read.p99), ''],
        [`${label}: commitTurn (one exchange + binding)`, result.commit.n, us(result.commit.p50), us(result.commit.p99), ''],
        [`${label}: read + commit`, result.read.n, us(sum.p50), us(sum.p99), `${ratio.toFixed(2)}×`],
        [`${label}: today's turn (get + recordSuccess)`, result.today.n, us(result.today.p50), us(result.today.p99), '1×'],
      );
      Object.assign(figures, {
        [`transcripts${stored}.readP50Us`]: us(result.read.p50),
        [`transcripts${stored}.readP99Us`]: us(result.read.p99),
        [`transcripts${stored}.commitP50Us`]: us(result.commit.p50),
        [`transcripts${stored}.commitP99Us`]: us(result.commit.p99),
        [`transcripts${stored}.todayP50Us`]: us(result.today.p50),
        [`transcripts${stored}.todayP99Us`]: us(result.today.p99),
        [`transcripts${stored}.ratio`]: ratio,
      });
      if (stored === 200) {
        const value = us(sum.p99);
        targets.push({
          name: 'transcript read + commit per turn at 200 stored turns (p99 µs)',
          target: '< 1000 µs added',
          value,
          met: value < 1000,
        });
      }
    }
  } finally {
    await handle.close();
  }
  const headers = ['case', 'samples', 'p50 µs', 'p99 µs', "p50 over today's turn"];
  return { tables: [{ caption: 'Transcripts: read and per-turn write (µs)', headers, rows }], figures, targets };
}

/** `TraceStore.write()` (a put plus the pruning) with few and with `maxCount` traces stored. */
async function traceWrites(quick) {
  const file = join(DIST, 'store/trace-store.js');
  if (!existsSync(file)) return { rows: [], figures: {} };
  const { TraceStore } = await import(file);
  const { createRuntime } = await dist('index.js');
  const dir = await tempDir('traces');
  // a real trace: one fixture-CLI request through the runtime
  const runtime = await createRuntime({
    config: { agents: { defaults: { model: { primary: 'bench-cli/default' }, cliBackends: { 'bench-cli': fixtureBackend() } } } },
    storeLocation: join(dir, 'sample'),
  });
  await runtime.run({ message: 'a trace to copy' });
  const sample = await runtime.traces.last();
  await runtime.close();
  if (sample === undefined) return { rows: [], figures: {} };
  const n = quick ? 50 : 2000;
  const rows = [];
  const figures = {};
  let seq = 0;
  const next = () => ({ ...sample, requestId: `bench${String(seq).padStart(8, '0')}`, endedAt: Date.now() + seq++ });
  for (const stored of [50, 500]) {
    const store = new TraceStore({ location: join(dir, `store-${stored}`), idleCloseMs: 60_000, maxCount: stored });
    const raw = new Level(join(dir, `raw-${stored}`), { valueEncoding: 'json' });
    await raw.open();
    const rawTraces = raw.sublevel('traces', { valueEncoding: 'json' });
    for (let i = 0; i < stored; i++) {
      const trace = next();
      await store.write(trace);
      await rawTraces.put(`${trace.endedAt}-${trace.requestId}`, trace);
    }
    log(`  trace writes with ${stored} stored: ${n} pairs`);
    const write = await paired({
      n,
      baseline: () => {
        const trace = next();
        return rawTraces.put(`${trace.endedAt}-${trace.requestId}`, trace);
      },
      subject: () => store.write(next()),
    });
    rows.push(compareRow(`request trace write, ${stored} traces stored (cap ${stored})`, write));
    Object.assign(figures, compareFigures(`traces${stored}.write`, write));
    await store.close();
    await raw.close();
  }
  return { rows, figures };
}
