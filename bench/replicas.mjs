// 10. Replicas on one Redis (`safetynet.store.kind: 'redis'`): (a) what the store calls of one request
// cost on Redis vs the embedded LevelDB folder, (b) the latency 3 `safetynet serve` replicas add over
// 1 at a fixed 500 req/s (autocannon, loopback API stub). A real `redis-server` on a free loopback
// port, no persistence, in a temp folder; stopped at the end.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BIN, compare, compareFigures, COMPARE_HEADERS, compareRow, DIST, dist, fmt, log, stats, tempDir } from './lib.mjs';
import { startStub } from './stub.mjs';

const MODEL = 'bench/claude-bench';
const BODY = { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] };
const RATE = 500;
/** Quick (smoke) runs load the replicas lightly: on a busy machine a one-second run at 500 req/s may answer nothing in time. */
const QUICK_RATE = 50;
/** The store calls of one request with a session key, in the order the runtime makes them. */
const OPS = [
  ['cooldownRead', 'cooldown read'],
  ['transcriptRead', 'transcript read'],
  ['commit', 'commit'],
  ['traceWrite', 'trace write'],
];

/** A free loopback TCP port. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A `redis-server` on a free loopback port; resolves once it accepts connections (bounded: 10 s). */
async function startRedisServer(dir) {
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`redis-server did not start within 10 s: ${output}`)), 10_000);
    const onData = (chunk) => {
      output += chunk;
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('error', (error) => reject(new Error(`cannot run redis-server (apt-get install redis-server): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`redis-server exited with ${code}: ${output}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}/0`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** The resolved `safetynet.store` settings of a bench store. */
function storeSettings(kind, url, keyPrefix) {
  return { kind, url, keyPrefix, commandTimeoutMs: 1000, leaseMs: 5000, hostId: 'bench-host' };
}

/** Both stores through the factory (`openStateStores`), or `undefined` when this build has none. */
async function openStores(kind, dir, url) {
  const factory = join(DIST, 'store/state-stores.js');
  if (!existsSync(factory)) return undefined;
  const { openStateStores } = await import(factory);
  return openStateStores({
    settings: storeSettings(kind, url, `bench-${kind}:`),
    location: join(dir, `${kind}-state`),
    idleCloseMs: 60_000,
    bounds: { maxTurns: 10, maxChars: 400_000 },
    traces: { maxCount: 500, maxAgeMs: 7 * 24 * 3600 * 1000 },
    onWarning: (message) => log(`  warning (${kind}): ${message}`),
  });
}

/** The LevelDB stores by their classes (a build before the factory). */
async function levelClasses(dir) {
  const { CooldownStore, LevelHandle, SessionStore, TraceStore } = await dist('store/index.js');
  const handle = new LevelHandle(join(dir, 'level-classes'), { idleCloseMs: 60_000 });
  return {
    sessions: new SessionStore({ handle, bounds: { maxTurns: 10, maxChars: 400_000 } }),
    cooldowns: new CooldownStore({ handle }),
    traces: new TraceStore({ handle, maxCount: 500 }),
    close: () => handle.close(),
  };
}

/**
 * One request's store calls on `stores`, each timed: the cooldown read of its candidates, the
 * transcript read, the commit of one exchange with a CLI binding, the trace write.
 */
function requestOn(stores, chainTurns) {
  const sessionKey = 'bench-conversation';
  const text = (role, i) => `${role} turn ${i}: `.padEnd(500, 'lorem ipsum dolor sit amet ');
  let last;
  let i = 0;
  return async () => {
    const requestId = `bench${String(i).padStart(8, '0')}`;
    const now = Date.now();
    const times = [];
    const timed = async (fn) => {
      const start = performance.now();
      const value = await fn();
      times.push(performance.now() - start);
      return value;
    };
    await timed(() => stores.cooldowns.read([MODEL, 'bench'], now));
    const transcript = await timed(() => stores.sessions.transcript(sessionKey));
    last = transcript.turns.at(-1) ?? last;
    const turns = chainTurns(
      [
        { role: 'user', text: text('user', i), requestId, at: 0 },
        { role: 'assistant', text: text('assistant', i), model: 'bench-cli/default', backend: 'cli', requestId, at: 0 },
      ],
      last,
    );
    const binding = {
      backendId: 'bench-cli',
      cliSessionId: '00000000-0000-4000-8000-000000000001',
      cwd: '/home/bench',
      model: 'bench-cli/default',
    };
    await timed(() => stores.sessions.commitTurn({ sessionKey, write: { mode: 'append', storedSeq: last?.seq ?? 0 }, turns, binding }));
    last = turns[1];
    const trace = {
      version: 1,
      requestId,
      startedAt: now - 10,
      endedAt: now,
      durationMs: 10,
      status: 'answered',
      sessionKey,
      session: null,
      steps: [{ state: 'selecting-model', atMs: 0 }],
      attempts: [],
    };
    await timed(() => stores.traces.write(trace, now));
    i += 1;
    return times;
  };
}

/** (a) Per-request store cost, LevelDB vs Redis, interleaved. */
async function storeCost({ quick, dir, redisUrl }) {
  const { chainTurns } = await dist('conversation/digest.js');
  const level = (await openStores('level', dir, undefined)) ?? (await levelClasses(dir));
  const redis = await openStores('redis', dir, redisUrl);
  const sides = { level: requestOn(level, chainTurns), ...(redis === undefined ? {} : { redis: requestOn(redis, chainTurns) }) };
  const n = quick ? 50 : 3000;
  const warmup = quick ? 5 : 100;
  const samples = Object.fromEntries(Object.keys(sides).map((name) => [name, { total: [], ops: OPS.map(() => []) }]));
  try {
    log(
      `  store calls of one request: ${n} rounds${redis === undefined ? ' (LevelDB only: this build has no Redis stores)' : ', LevelDB and Redis alternating'}`,
    );
    const names = Object.keys(sides);
    for (let round = -warmup; round < n; round++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(Math.max(0, round) + k) % names.length];
        const times = await sides[name]();
        if (round < 0) continue;
        samples[name].total.push(times.reduce((sum, t) => sum + t, 0));
        for (const [op, t] of times.entries()) samples[name].ops[op].push(t);
      }
    }
  } finally {
    await level.close();
    await redis?.close();
  }
  return { redisStores: redis !== undefined, samples };
}

/** Start `safetynet serve --port 0` on `config` as `hostId`; resolves with its URL once it listens. */
async function startServe(config, dir, hostId) {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config', config], {
    env: { ...process.env, SAFETYNET_HOME: join(dir, `home-${hostId}`), SAFETYNET_HOST_ID: hostId },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`serve ${hostId} did not start: ${stderr}`)), 20_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(stderr);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve ${hostId} exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One autocannon run over `urls` (connections spread over them); every 2xx response time (ms) goes to `samples`. */
async function cannon({ urls, connections, duration, overallRate, samples }) {
  const instance = autocannon({
    url: urls.map((url) => `${url}/v1/messages`),
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(BODY),
    connections,
    duration,
    ...(overallRate === undefined ? {} : { overallRate }),
  });
  if (samples !== undefined) {
    instance.on('response', (_client, statusCode, _bytes, responseTime) => {
      if (statusCode >= 200 && statusCode < 300) samples.push(responseTime);
    });
  }
  const result = await instance;
  return result.errors + result.timeouts + result.non2xx;
}

/** (b) 3 replicas vs 1, every one on the same Redis, at a fixed rate. */
async function replicaLoad({ quick, dir, redisUrl }) {
  const stub = await startStub();
  const config = join(dir, 'config.json5');
  await writeFile(
    config,
    JSON.stringify({
      safetynet: { store: { kind: 'redis', url: redisUrl, keyPrefix: 'bench-load:' } },
      models: { providers: { bench: { api: 'anthropic-messages', baseUrl: stub.url, apiKey: 'sk-bench-not-a-real-key' } } },
      agents: { defaults: { model: { primary: MODEL } } },
    }),
  );
  const servers = [];
  try {
    const starting = ['single', 'replica-0', 'replica-1', 'replica-2'].map((hostId) => startServe(config, dir, hostId));
    const started = await Promise.allSettled(starting);
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    const failedStart = started.find((result) => result.status === 'rejected');
    if (failedStart !== undefined) throw failedStart.reason;
    const one = [servers[0].url];
    const three = servers.slice(1).map((s) => s.url);
    const duration = quick ? 1 : 10;
    const rounds = quick ? 1 : 2;
    const rate = quick ? QUICK_RATE : RATE;
    log(`  fixed rate ${rate} req/s: ${rounds} × ${duration} s on 1 replica and on 3, alternating`);
    // Warm-up, quick runs too: a replica's first requests load the SDK and open the store, and a
    // one-second quick run could otherwise end before any of them is answered.
    await cannon({ urls: one, connections: 12, duration: 1 });
    await cannon({ urls: three, connections: 12, duration: 1 });
    const latency = { one: [], three: [] };
    let failed = 0;
    for (let i = 0; i < rounds; i++) {
      for (const [name, urls] of [
        ['one', one],
        ['three', three],
      ]) {
        failed += await cannon({ urls, connections: 12, duration, overallRate: rate, samples: latency[name] });
      }
    }
    return { atRate: compare(stats(latency.one), stats(latency.three)), failed, rate };
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
    await stub.close();
  }
}

export async function replicasBench({ quick }) {
  const dir = await tempDir('replicas');
  const redis = await startRedisServer(dir);
  let cost;
  let load;
  try {
    cost = await storeCost({ quick, dir, redisUrl: redis.url });
    load = await replicaLoad({ quick, dir, redisUrl: redis.url });
  } finally {
    await redis.stop();
  }
  const sides = Object.keys(cost.samples);
  const costRows = [];
  const figures = {};
  for (const side of sides) {
    const { total, ops } = cost.samples[side];
    for (const [op, [id, name]] of OPS.entries()) {
      const s = stats(ops[op]);
      costRows.push([`${side}: ${name}`, s.n, s.p50, s.p99]);
      figures[`replicas.${side}.${id}P50`] = s.p50;
      figures[`replicas.${side}.${id}P99`] = s.p99;
    }
    const s = stats(total);
    costRows.push([`${side}: **one request (all four)**`, s.n, s.p50, s.p99]);
    figures[`replicas.${side}.requestP50`] = s.p50;
    figures[`replicas.${side}.requestP99`] = s.p99;
  }
  figures['replicas.redisStores'] = cost.redisStores ? 1 : 0;
  Object.assign(figures, compareFigures('replicasLatency', load.atRate), { 'replicas.failedResponses': load.failed });
  const targets = [
    {
      name: `replicas: added latency p99 of 3 replicas over 1 at ${load.rate} req/s`,
      target: '< 1 ms',
      value: load.atRate.addedP99,
      met: load.atRate.addedP99 < 1,
    },
    { name: 'replicas: failed responses under load', target: '0', value: load.failed, met: load.failed === 0 },
  ];
  if (cost.redisStores) {
    // The target: what the shared store adds per request over the embedded one, at p99.
    const added = figures['replicas.redis.requestP99'] - figures['replicas.level.requestP99'];
    figures['replicas.addedStoreP99'] = added;
    targets.unshift({
      name: 'replicas: p99 the Redis store adds per request over LevelDB',
      target: '< 1 ms',
      value: added,
      met: added < 1,
    });
  }
  return {
    id: 'replicas',
    title: '10. Replicas on one Redis',
    method:
      'A real `redis-server` on a loopback port (no persistence). ' +
      '(a) The store calls one request with a session key makes, in the runtime’s order: the cooldown read of its candidates, the transcript read, the commit of one exchange (two ~500-character turns) with a CLI binding on a conversation kept at 10 turns, the trace write; ' +
      `on the embedded LevelDB folder and on Redis (the stores of \`openStateStores\`), alternating request by request after a warm-up; ms per call and per request (the sum).${cost.redisStores ? '' : ' **This build has no Redis stores: LevelDB only.**'} ` +
      `(b) \`safetynet serve\` (the published bin) as 1 replica and as 3 replicas (\`SAFETYNET_HOST_ID\` each), all on that Redis (\`safetynet.store.kind: redis\`), with a zero-latency loopback Anthropic Messages stub as the only candidate; ` +
      `autocannon at a fixed ${load.rate} req/s over 12 connections spread over the replicas' URLs, 1 and 3 alternating; every 2xx response time (ms) is a sample. Everything shares the machine's cores. ms unless stated.`,
    tables: [
      { caption: 'Store calls of one request (ms)', headers: ['case', 'samples', 'p50', 'p99'], rows: costRows },
      { headers: COMPARE_HEADERS, rows: [compareRow(`3 replicas over 1 at ${load.rate} req/s`, load.atRate)] },
      { headers: ['load', 'errors + non-2xx (all runs)'], rows: [['1 and 3 replicas', fmt(load.failed)]] },
    ],
    figures,
    targets,
  };
}
