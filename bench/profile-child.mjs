// Run in a fresh process by profile.mjs: warms up, then CPU-profiles (node:inspector, the same
// profiler as `node --cpu-prof`, started after the warm-up) a loop of sequential requests and writes
// the profile to <outDir>/<scenario>.cpuprofile.
//   node bench/profile-child.mjs <scenario> <count> <outDir>
// Scenarios: api, api-untraced, api-direct, cli, cli-untraced, cli-direct, failover. `*-direct`
// profile the baselines (a direct SDK call, a raw execa spawn); `*-untraced` run with
// `safetynet.traces.maxCount: 0`.
import { writeFile } from 'node:fs/promises';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { apiRuntime, directCall, directClient, MODEL } from './api-overhead.mjs';
import { spawnFixtureDirect } from './cli-overhead.mjs';
import { dist, fixtureBackend, TRACES_OFF } from './lib.mjs';
import { startStub } from './stub.mjs';

const [scenario, countArg, outDir] = process.argv.slice(2);
const count = Number(countArg);
const SCENARIOS = ['api', 'api-untraced', 'api-direct', 'cli', 'cli-untraced', 'cli-direct', 'failover'];
if (!SCENARIOS.includes(scenario) || !(count > 0) || outDir === undefined)
  throw new Error(`usage: profile-child.mjs <${SCENARIOS.join('|')}> <count> <outDir>`);

const stubs = [];
let runtime;
let request;
if (scenario === 'cli' || scenario === 'cli-untraced') {
  const { createRuntime } = await dist('index.js');
  runtime = await createRuntime({
    config: {
      agents: { defaults: { model: { primary: 'bench-cli/default' }, cliBackends: { 'bench-cli': fixtureBackend() } } },
      ...(scenario === 'cli' ? {} : TRACES_OFF),
    },
    storeLocation: join(outDir, 'state-cli'),
  });
  request = (i) => runtime.run({ message: `p${i}` });
} else if (scenario === 'cli-direct') {
  request = (i) => spawnFixtureDirect(`p${i}`);
} else if (scenario === 'api-direct') {
  const stub = await startStub();
  stubs.push(stub);
  const client = directClient(stub.url);
  request = (i) => directCall(client, `hello ${i}`);
} else if (scenario === 'api' || scenario === 'api-untraced') {
  const stub = await startStub();
  stubs.push(stub);
  const location = join(outDir, 'state-api');
  runtime = await apiRuntime(stub.url, location, { traces: scenario === 'api' });
  // a state folder exists (as after any failure): every request reads its cooldowns
  const { CooldownStore } = await dist('store/index.js');
  await new CooldownStore({ location }).clear();
  request = (i) => runtime.run({ message: `hello ${i}` });
} else {
  const fallback = await startStub();
  const primary = await startStub({ mode: { status: 529 } });
  stubs.push(fallback, primary);
  runtime = await apiRuntime(primary.url, join(outDir, 'state-failover'), {
    providers: { fallback: { api: 'anthropic-messages', baseUrl: fallback.url, apiKey: 'sk-bench-not-a-real-key' } },
    fallbacks: [`fallback/${MODEL}`],
  });
  request = (i) => runtime.run({ message: `failover ${i}`, model: `bench/m-${i}` });
}

const warmup = Math.min(200, Math.ceil(count / 5));
for (let i = 0; i < warmup; i++) await request(-1 - i);
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const start = performance.now();
for (let i = 0; i < count; i++) await request(i);
const wallMs = performance.now() - start;
const { profile } = await session.post('Profiler.stop');
session.disconnect();
await writeFile(join(outDir, `${scenario}.cpuprofile`), JSON.stringify(profile));
await runtime?.close();
await Promise.all(stubs.map((stub) => stub.close()));
process.stdout.write(`${JSON.stringify({ scenario, count, wallMs })}\n`);
