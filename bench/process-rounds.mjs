// Whole-process measurements shared by bench/cold-compare.mjs and bench/snapshot-compare.mjs: every
// case runs once per round in rotating order, after two warm-up rounds, through /usr/bin/time (GNU
// time, Debian package `time`) for peak RSS and CPU time; the report gives each case's cost in Node
// start-ups, issue 12's measure.
import { spawnSync } from 'node:child_process';
import { fmt, percentile, table } from './lib.mjs';

/**
 * Run `cases` for `rounds` rounds. A case is `[label, argv, env, reset?]`; `reset` runs untimed before
 * each of its runs. The first two cases are the baselines (`node -e 0`, the fixture CLI alone); every
 * other case must exit 0 and print `ok: hi`.
 * @returns per case `{ wall, cpu, rss }` arrays (ms, ms, MiB).
 * @throws when a case fails.
 */
export function measureProcesses(cases, rounds, cwd) {
  const samples = cases.map(() => ({ wall: [], cpu: [], rss: [] }));
  for (let round = -2; round < rounds; round++) {
    for (let k = 0; k < cases.length; k++) {
      const i = (k + round + 2) % cases.length;
      const [label, argv, env, reset] = cases[i];
      reset?.();
      const started = performance.now();
      const run = spawnSync('/usr/bin/time', ['-f', 'time: %M %U %S', ...argv], { cwd, env: { ...process.env, ...env }, encoding: 'utf8' });
      const wall = performance.now() - started;
      const usage = /time: (\d+) ([\d.]+) ([\d.]+)/.exec(run.stderr);
      if (run.status !== 0 || usage === null || (i >= 2 && !run.stdout.startsWith('ok: hi')))
        throw new Error(`${label} failed (${run.status}): ${run.stderr}`);
      if (round < 0) continue;
      samples[i].wall.push(wall);
      samples[i].cpu.push((Number(usage[2]) + Number(usage[3])) * 1000);
      samples[i].rss.push(Number(usage[1]) / 1024);
    }
  }
  return samples;
}

const p50 = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    50,
  );
const p90 = (values) =>
  percentile(
    [...values].sort((a, b) => a - b),
    90,
  );

/**
 * The report of {@link measureProcesses}: per case the wall-clock p50 and p90, the CPU p50, peak RSS,
 * and "over node" = (case p50 − fixture p50) / `node -e 0` p50, of the wall-clock and of the CPU time.
 */
export function processReport(cases, samples, rounds) {
  const [node, fixture] = samples;
  const over = (s, kind) => `${fmt((p50(s[kind]) - p50(fixture[kind])) / p50(node[kind]), 2)}×`;
  const rows = cases.map(([label], i) => {
    const s = samples[i];
    return [
      label,
      fmt(p50(s.wall)),
      fmt(p90(s.wall)),
      i < 2 ? '' : over(s, 'wall'),
      fmt(p50(s.cpu)),
      i < 2 ? '' : over(s, 'cpu'),
      fmt(p50(s.rss)),
      fmt(Math.max(...s.rss)),
    ];
  });
  const headers = [
    'case',
    'wall p50 ms',
    'wall p90 ms',
    'over node (wall p50)',
    'CPU p50 ms',
    'over node (CPU p50)',
    'peak RSS p50 MiB',
    'peak RSS max MiB',
  ];
  return `${rounds} rounds, ${new Date().toISOString()}\n\n${table(headers, rows)}\n`;
}
