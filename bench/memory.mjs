// 7. Memory: peak RSS of this process with N requests in flight, per request, vs raw spawns.
import { join } from 'node:path';
import { execa } from 'execa';
import { BENCH_DIR, log, stats, tempDir } from './lib.mjs';

const MiB = 2 ** 20;

export async function memory({ quick }) {
  const inFlight = quick ? 32 : 256;
  const repeats = quick ? 1 : 3;
  const dir = await tempDir('memory');
  const runs = { raw: [], runtime: [] };
  log(`  ${inFlight} in flight: ${repeats} fresh processes each for raw spawns and run()`);
  for (let r = 0; r < repeats; r++) {
    for (const mode of r % 2 === 0 ? ['raw', 'runtime'] : ['runtime', 'raw']) {
      const result = await execa(
        process.execPath,
        ['--expose-gc', join(BENCH_DIR, 'memory-child.mjs'), mode, String(inFlight), join(dir, `${mode}-${r}`)],
        { stdin: 'ignore', timeout: 120_000 },
      );
      runs[mode].push(JSON.parse(result.stdout));
    }
  }
  const summary = (mode) => {
    const list = runs[mode];
    const med = (fn) => stats(list.map(fn)).p50;
    return {
      restMiB: med((o) => o.restRss / MiB),
      peakMiB: med((o) => o.peakRss / MiB),
      addedMiB: med((o) => (o.peakRss - o.restRss) / MiB),
      perRequestKiB: med((o) => (o.peakRss - o.restRss) / o.inFlight / 1024),
      heapPerRequestKiB: med((o) => (o.peakHeap - o.restHeap) / o.inFlight / 1024),
      wallMs: med((o) => o.wallMs),
    };
  };
  const raw = summary('raw');
  const lib = summary('runtime');
  const row = (label, s) => [label, repeats, s.restMiB, s.peakMiB, s.addedMiB, s.perRequestKiB, s.heapPerRequestKiB, s.wallMs];
  return {
    id: 'memory',
    title: '7. Memory',
    method:
      `A fresh Node process per measurement (\`--expose-gc\`): warm-up (3 × 8 requests without the sleep), GC, RSS at rest; then ${inFlight} requests at once on the fixture CLI sleeping 0.5 s, so all are in flight together; RSS and heap sampled every 2 ms until the last one ends. ` +
      `Baseline: ${inFlight} raw \`execa\` spawns of the fixture at once; subject: ${inFlight} \`runtime.run()\` at once (one-shot, non-serialized backend). ` +
      `Median of ${repeats} processes each; RSS in MiB, per request in KiB. Child processes are not counted (RSS of this process only).`,
    tables: [
      {
        headers: [
          'case',
          'processes',
          'RSS at rest MiB',
          'peak RSS MiB',
          'added MiB',
          'added per request KiB',
          'heap per request KiB',
          'wall ms',
        ],
        rows: [row(`${inFlight} raw spawns in flight`, raw), row(`${inFlight} run() in flight`, lib)],
      },
    ],
    figures: {
      inFlight,
      ...Object.fromEntries(Object.entries(raw).map(([k, v]) => [`raw.${k}`, v])),
      ...Object.fromEntries(Object.entries(lib).map(([k, v]) => [`runtime.${k}`, v])),
      perRequestRatio: lib.perRequestKiB / raw.perRequestKiB,
    },
    targets: [],
  };
}
