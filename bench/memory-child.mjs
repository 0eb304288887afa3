// Run in a fresh process (with --expose-gc) by memory.mjs; prints one JSON line on stdout.
//   node --expose-gc bench/memory-child.mjs <raw|runtime> <inFlight> <stateDir>
// Warms up (modules loaded, JIT), measures the RSS at rest, then starts <inFlight> requests at once
// on the fixture CLI sleeping 0.5 s (so all of them are in flight together), sampling the RSS
// every 2 ms until the last one ended.
import { join } from 'node:path';
import { spawnFixtureDirect } from './cli-overhead.mjs';
import { dist, fixtureBackend, sleep } from './lib.mjs';

const [mode, inFlightArg, stateDir] = process.argv.slice(2);
const inFlight = Number(inFlightArg);
if ((mode !== 'raw' && mode !== 'runtime') || !(inFlight > 0) || stateDir === undefined)
  throw new Error('usage: memory-child.mjs <raw|runtime> <inFlight> <stateDir>');
const sleepy = { ...process.env, BENCH_SLEEP: '0.5' };

/** One request; `hold` makes the fixture sleep 0.5 s. */
let task;
let runtime;
if (mode === 'raw') {
  task = (i, hold) => spawnFixtureDirect(`m${i}`, hold ? sleepy : process.env);
} else {
  const { createRuntime } = await dist('index.js');
  runtime = await createRuntime({
    config: {
      agents: {
        defaults: {
          model: { primary: 'bench-cli/default' },
          cliBackends: { 'bench-cli': fixtureBackend(), 'bench-hold': fixtureBackend({ env: { BENCH_SLEEP: '0.5' } }) },
        },
      },
    },
    storeLocation: join(stateDir, 'state'),
  });
  task = async (i, hold) => {
    const result = await runtime.run({ message: `m${i}`, ...(hold ? { model: 'bench-hold/default' } : {}) });
    if (result.text !== `ok: m${i}`) throw new Error(`unexpected reply ${result.text}`);
  };
}

// warm-up: a few rounds (no sleep) with everything loaded and compiled
for (let r = 0; r < 3; r++) await Promise.all(Array.from({ length: 8 }, (_, i) => task(i, false)));
globalThis.gc?.();
await sleep(50);
globalThis.gc?.();
const restRss = process.memoryUsage().rss;
const restHeap = process.memoryUsage().heapUsed;

let peakRss = restRss;
let peakHeap = restHeap;
const sampler = setInterval(() => {
  const usage = process.memoryUsage();
  peakRss = Math.max(peakRss, usage.rss);
  peakHeap = Math.max(peakHeap, usage.heapUsed);
}, 2);
const start = performance.now();
await Promise.all(Array.from({ length: inFlight }, (_, i) => task(i, true)));
const wallMs = performance.now() - start;
clearInterval(sampler);
await runtime?.close();
process.stdout.write(
  `${JSON.stringify({ mode, inFlight, restRss, peakRss, restHeap, peakHeap, wallMs, maxRssKiB: process.resourceUsage().maxRSS })}\n`,
);
