// 9. `safetynet serve` under load (autocannon): requests straight to a zero-latency loopback upstream
// vs the same requests through `safetynet serve` (a child process, the published bin), side by side.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { BIN, compare, compareFigures, COMPARE_HEADERS, compareRow, fmt, log, stats, tempDir } from './lib.mjs';
import { startStub } from './stub.mjs';

const MODEL = 'bench/claude-bench';
const BODY = { model: MODEL, max_tokens: 64, messages: [{ role: 'user', content: 'hello' }] };
const RATE = 500;

/** Start `safetynet serve --port 0` with the stub as its only provider; resolves once it listens. */
async function startServe(stubUrl, dir) {
  const config = join(dir, 'config.json5');
  await writeFile(
    config,
    JSON.stringify({
      models: { providers: { bench: { api: 'anthropic-messages', baseUrl: stubUrl, apiKey: 'sk-bench-not-a-real-key' } } },
      agents: { defaults: { model: { primary: MODEL } } },
    }),
  );
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--config', config], {
    env: { ...process.env, SAFETYNET_HOME: join(dir, 'home') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const url = await new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`serve did not start: ${stderr}`)), 20_000);
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
      const match = /http:\/\/127\.0\.0\.1:\d+/.exec(stderr);
      if (match !== null) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    child.once('exit', (code) => reject(new Error(`serve exited with ${code}: ${stderr}`)));
  });
  return {
    url,
    /** Peak resident set of the serve process so far (VmHWM), in MiB. */
    async peakRssMiB() {
      const status = await readFile(`/proc/${child.pid}/status`, 'utf8');
      return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN) / 1024;
    },
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** One autocannon run; with `samples`, every 2xx response time (ms, full precision) is pushed to it. */
async function cannon({ url, body, connections, duration, overallRate, samples }) {
  const instance = autocannon({
    url: `${url}/v1/messages`,
    method: 'POST',
    headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify(body),
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
  return { rps: result.requests.average, total: result.requests.total, errors: result.errors + result.timeouts, non2xx: result.non2xx };
}

/** Time to the first body byte of one streamed request, in ms. */
function firstByteMs(url) {
  const payload = JSON.stringify({ ...BODY, stream: true });
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const req = request(
      `${url}/v1/messages`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (res) => {
        let first;
        res.on('data', () => {
          first ??= performance.now() - start;
        });
        res.on('end', () =>
          res.statusCode === 200 && first !== undefined ? resolve(first) : reject(new Error(`status ${res.statusCode}`)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

export async function serveBench({ quick }) {
  const stub = await startStub();
  const dir = await tempDir('serve');
  const serve = await startServe(stub.url, dir);
  try {
    const duration = quick ? 1 : 10;
    const rounds = quick ? 1 : 2;
    log(`  fixed rate ${RATE} req/s: ${rounds} × ${duration} s direct and through serve, alternating`);
    const latency = { direct: [], serve: [] };
    const load = { direct: [], serve: [] };
    await cannon({ url: serve.url, body: BODY, connections: 10, duration: 1 }); // warm-up
    for (let i = 0; i < rounds; i++) {
      for (const [name, url, body] of [
        ['direct', stub.url, { ...BODY, stream: true }],
        ['serve', serve.url, BODY],
      ]) {
        load[name].push(await cannon({ url, body, connections: 10, duration, overallRate: RATE, samples: latency[name] }));
      }
    }
    const atRate = compare(stats(latency.direct), stats(latency.serve));

    log(`  throughput: ${duration} s at full speed each (32 connections)`);
    const direct = await cannon({ url: stub.url, body: { ...BODY, stream: true }, connections: 32, duration });
    const through = await cannon({ url: serve.url, body: BODY, connections: 32, duration });
    const throughputRatio = through.rps / direct.rps;

    const n = quick ? 20 : 1000;
    log(`  time to first streamed byte: ${n} sequential streamed requests each, interleaved`);
    const ttfb = { direct: [], serve: [] };
    for (let i = 0; i < n; i++) {
      ttfb.direct.push(await firstByteMs(stub.url));
      ttfb.serve.push(await firstByteMs(serve.url));
    }
    const firstByte = compare(stats(ttfb.direct), stats(ttfb.serve));
    const peakRss = await serve.peakRssMiB();
    const failed = [...load.direct, ...load.serve, direct, through].reduce((sum, run) => sum + run.errors + run.non2xx, 0);

    return {
      id: 'serve',
      title: '9. `safetynet serve` under load',
      method:
        'A zero-latency loopback Anthropic Messages stub (`bench/stub.mjs`, SSE answer of one text delta) in this process; `safetynet serve --port 0` (the published bin) as a child process with that stub as its only candidate (default config: cooldown read and trace write per request); the load from autocannon in this process (2 cores shared by all three). ' +
        `Baseline: \`POST /v1/messages\` straight to the stub; subject: the same request through serve (non-streaming: serve streams from the stub and answers JSON). ` +
        `Latency: autocannon at a fixed ${RATE} req/s over 10 connections, direct and through serve alternating (${rounds} × ${duration} s each); every 2xx response time (ms, full precision) is a sample. ` +
        'Throughput: autocannon at full speed, 32 connections, each side alone. Time to first byte: sequential `stream: true` requests, interleaved, timed to the first body chunk (serve writes its head with the first content). ' +
        'Peak RSS: the serve process’s VmHWM at the end. ms unless stated.',
      tables: [
        {
          headers: COMPARE_HEADERS,
          rows: [compareRow(`latency at ${RATE} req/s`, atRate), compareRow('time to first streamed byte', firstByte)],
        },
        {
          headers: ['path', 'requests/s (full speed)', 'errors + non-2xx (all runs)'],
          rows: [
            ['direct', fmt(direct.rps, 0), ''],
            ['through serve', fmt(through.rps, 0), String(failed)],
            ['ratio', `${fmt(throughputRatio * 100, 1)} %`, ''],
          ],
        },
        { headers: ['serve process', 'MiB'], rows: [['peak RSS (VmHWM)', fmt(peakRss, 1)]] },
      ],
      figures: {
        ...compareFigures('serveLatency', atRate),
        ...compareFigures('serveFirstByte', firstByte),
        'serve.directRps': direct.rps,
        'serve.throughRps': through.rps,
        'serve.throughputRatio': throughputRatio,
        'serve.peakRssMiB': peakRss,
        'serve.failedResponses': failed,
      },
      targets: [
        { name: `serve: added latency p99 at ${RATE} req/s`, target: '< 1 ms', value: atRate.addedP99, met: atRate.addedP99 < 1 },
        { name: 'serve: added time to first streamed byte p99', target: '< 1 ms', value: firstByte.addedP99, met: firstByte.addedP99 < 1 },
        { name: 'serve: throughput vs direct', target: '≥ 80 %', value: throughputRatio * 100, met: throughputRatio >= 0.8 },
        { name: 'serve: failed responses under load', target: '0', value: failed, met: failed === 0 },
      ],
    };
  } finally {
    await serve.stop();
    await stub.close();
  }
}
