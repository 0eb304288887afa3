// 5. Concurrency: N requests at once on a non-serialized fixture backend (throughput vs raw spawns,
// event-loop delay), and order and overlap on a serialized backend.
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { spawnFixtureDirect } from './cli-overhead.mjs';
import { dist, fixtureBackend, fmt, log, sleep, stats, tempDir, TRACES_OFF } from './lib.mjs';

/**
 * Runs `task(i)` for i < n all at once. A fresh `monitorEventLoopDelay` histogram per burst (an
 * ELD histogram cannot be merged, and re-enabling one records the disabled gap), enabled 3 ms
 * before the burst so that its first interval (which it drops) is not the burst's start.
 * @returns wall ms, and the burst's loop-delay p99 and max (ms).
 */
async function burst(n, task) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  await sleep(3);
  const start = performance.now();
  await Promise.all(Array.from({ length: n }, (_, i) => task(i)));
  const wallMs = performance.now() - start;
  histogram.disable();
  // No recorded tick at all: the loop never got free during the round (the histogram drops the
  // interval in which it was enabled), so the round's wall time is the delay.
  if (histogram.count === 0) return { wallMs, loopP99: wallMs, loopMax: wallMs };
  return { wallMs, loopP99: histogram.percentile(99) / 1e6, loopMax: histogram.max / 1e6 };
}

export async function concurrency({ quick }) {
  const { createRuntime } = await dist('index.js');
  const dir = await tempDir('concurrency');
  const serialLog = join(dir, 'serial.log');
  const runtime = await createRuntime({
    config: {
      agents: {
        defaults: {
          model: { primary: 'bench-cli/default' },
          cliBackends: {
            'bench-cli': fixtureBackend(),
            'bench-serial': fixtureBackend({ serialize: true, env: { BENCH_LOG: serialLog, BENCH_SLEEP: '0.01' } }),
          },
        },
      },
    },
    storeLocation: join(dir, 'state'),
  });
  const untraced = await createRuntime({
    config: {
      agents: { defaults: { model: { primary: 'bench-cli/default' }, cliBackends: { 'bench-cli': fixtureBackend() } } },
      ...TRACES_OFF,
    },
    storeLocation: join(dir, 'state-untraced'),
  });
  const levels = quick ? [1, 8] : [1, 8, 64, 256];
  // more rounds for small bursts, so that every level runs for a while
  const roundsOf = (n) => (quick ? 3 : Math.max(5, Math.ceil(256 / n)));
  const figures = {};
  const rows = [];
  try {
    for (const n of levels) {
      const rounds = roundsOf(n);
      log(`  ${n} at once: ${rounds} rounds (+1 warm-up) of raw spawns and run()`);
      const runs = { raw: [], lib: [], untraced: [] };
      const order = ['raw', 'lib', 'untraced'];
      for (let r = -1; r < rounds; r++) {
        for (let k = 0; k < order.length; k++) {
          const which = order[(Math.max(0, r) + k) % order.length];
          const target = which === 'lib' ? runtime : untraced;
          const out =
            which === 'raw'
              ? await burst(n, (i) => spawnFixtureDirect(`c${i}`))
              : await burst(n, async (i) => {
                  const result = await target.run({ message: `c${i}` });
                  if (result.text !== `ok: c${i}`) throw new Error(`unexpected reply ${result.text}`);
                });
          if (r >= 0) runs[which].push(out);
        }
      }
      const median = (which, key) => stats(runs[which].map((o) => o[key])).p50;
      const max = (which) => Math.max(...runs[which].map((o) => o.loopMax));
      const row = { n, rounds };
      for (const which of order) {
        row[`${which}WallMs`] = median(which, 'wallMs');
        row[`${which}PerSec`] = (n / row[`${which}WallMs`]) * 1000;
        row[`${which}LoopP99`] = median(which, 'loopP99');
        row[`${which}LoopMax`] = max(which);
      }
      row.ratio = row.libPerSec / row.rawPerSec;
      row.untracedRatio = row.untracedPerSec / row.rawPerSec;
      const three = (key) => order.map((which) => fmt(row[`${which}${key}`])).join(' / ');
      rows.push([
        n,
        rounds,
        three('WallMs'),
        three('PerSec'),
        `${row.ratio.toFixed(2)}× / ${row.untracedRatio.toFixed(2)}×`,
        three('LoopP99'),
        three('LoopMax'),
      ]);
      for (const [key, value] of Object.entries(row)) figures[`n${n}.${key}`] = value;
    }

    // Serialized backend: N requests issued at once, in order, several rounds (the order check is a
    // race: one round may pass by luck); the fixture logs start/end lines.
    const s = quick ? 4 : 32;
    const serialRounds = quick ? 1 : 10;
    log(`  serialized backend: ${serialRounds} rounds of ${s} requests at once (fixture sleeps 10 ms)`);
    let overlaps = 0;
    let orderViolations = 0;
    let roundsOutOfOrder = 0;
    let turnsLogged = 0;
    const serialWalls = [];
    for (let round = 0; round < serialRounds; round++) {
      await rm(serialLog, { force: true });
      const serialStart = performance.now();
      await Promise.all(Array.from({ length: s }, (_, i) => runtime.run({ message: `s${i}`, model: 'bench-serial/default' })));
      serialWalls.push(performance.now() - serialStart);
      const lines = (await readFile(serialLog, 'utf8')).trim().split('\n');
      let running;
      const started = [];
      for (const line of lines) {
        const [event, prompt] = line.split(' ');
        if (event === 'start') {
          if (running !== undefined) overlaps += 1;
          running = prompt;
          started.push(Number(prompt.slice(1)));
        } else if (running === prompt) running = undefined;
      }
      const outOfOrder = started.filter((index, k) => index !== k).length;
      orderViolations += outOfOrder;
      if (outOfOrder > 0) roundsOutOfOrder += 1;
      turnsLogged += started.length;
    }
    const serialWall = stats(serialWalls).p50;
    Object.assign(figures, {
      'serial.requests': s,
      'serial.rounds': serialRounds,
      'serial.turnsLogged': turnsLogged,
      'serial.overlaps': overlaps,
      'serial.orderViolations': orderViolations,
      'serial.roundsOutOfOrder': roundsOutOfOrder,
      'serial.wallMs': serialWall,
      'serial.perTurnMs': serialWall / s,
    });
    return {
      id: 'concurrency',
      title: '5. Concurrency',
      method:
        'N requests started at once (`Promise.all`) on a non-serialized fixture backend, one-shot; baseline: N raw `execa` spawns of the same fixture at once (argv and JSON parse as in 1). ' +
        'Subjects: `run()` with the default config (a trace stored per request) and with traces off (`safetynet.traces.maxCount: 0`), two runtimes in the same rounds. ' +
        `Per level max(5, 256/N) measured rounds (quick: 3) after a warm-up round, the three in rotating order; the median round's wall time is reported. ` +
        "Throughput = N / wall time of the round. Event-loop delay: a fresh `perf_hooks.monitorEventLoopDelay({ resolution: 1 })` per round, enabled 3 ms before the burst and disabled after it; the table gives the median over rounds of each round's p99, and the largest max. " +
        'The histogram records the interval between its 1 ms timer ticks, so an idle loop reads about 1.1 ms; a round in which no tick was recorded at all counts with its wall time (the loop was blocked throughout). ' +
        `Serialized backend (\`serialize: true\`): ${serialRounds} rounds of ${s} requests issued at once in order (several rounds, because a race may keep one round in order by luck); the fixture sleeps 10 ms and appends "start <prompt>" / "end <prompt>" to a log, from which overlaps (a start before the previous end) and order (turns started in issue order) are counted.`,
      tables: [
        {
          caption:
            'Non-serialized backend; each cell: raw spawns / `run()` default config / `run()` traces off (wall ms, requests per second, event-loop delay ms)',
          headers: [
            'at once',
            'rounds',
            'wall (median round)',
            'req/s',
            'req/s ratio to raw',
            'loop delay p99 (median round)',
            'loop delay max',
          ],
          rows,
        },
        {
          caption: `Serialized backend, ${serialRounds} rounds of ${s} requests`,
          headers: [
            'requests per round',
            'rounds',
            'turns logged',
            'overlapping turns',
            'turns started out of call order',
            'rounds with any out of order',
            'wall ms (median round)',
            'ms per turn (10 ms sleep + spawn + runtime)',
          ],
          rows: [[s, serialRounds, turnsLogged, overlaps, orderViolations, roundsOutOfOrder, serialWall, serialWall / s]],
        },
      ],
      figures,
      targets: [
        {
          name: 'serialize: true — overlapping turns + turns started out of `run()` call order',
          target: '0 overlaps, 0 out of order',
          value: overlaps + orderViolations,
          met: overlaps === 0 && orderViolations === 0 && turnsLogged === s * serialRounds,
        },
      ],
    };
  } finally {
    await runtime.close();
    await untraced.close();
  }
}
