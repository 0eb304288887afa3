// EXPERIMENT (issue 12, requirement 5), not part of `npm run bench`: `safetynet agent` started from
// V8 startup snapshots (scripts/build-snapshot.mjs) beside today's bundle, interleaved like
// bench/cold-compare.mjs (every case in each round, rotating order, two warm-up rounds, GNU time for
// CPU and peak RSS). Findings: bench/snapshot-findings.md.
//
//   node bench/snapshot-compare.mjs [--rounds N] <label>=<snapshot dir> ...
//
// Per config (one-shot, traces off, --session): the bundle (bin/safetynet.js), and per snapshot dir
// `node --snapshot-blob <dir>/snapshot.blob agent …`; the first dir's snapshot-entry.cjs is also run
// as a plain script (the same file without a snapshot: what the snapshot itself adds).
import { spawnSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { agentHome } from './cold-start.mjs';
import { BIN, cleanup, FIXTURE_CLI, fmt, percentile, TRACES_OFF, table, tempDir } from './lib.mjs';

const { values, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '20' } }, allowPositionals: true });
const snapshots = positionals.map((spec) => spec.split('='));
if (snapshots.length === 0 || snapshots.some((pair) => pair.length !== 2))
  throw new Error('usage: snapshot-compare.mjs [--rounds N] <label>=<snapshot dir> ...');

const root = await tempDir('snapshot-compare');
const work = join(root, 'work');
await mkdir(work);
const configs = [
  ['one-shot', await agentHome(root, 'one-shot'), []],
  ['traces off', await agentHome(root, 'untraced', TRACES_OFF), []],
  ['--session', await agentHome(root, 'session'), ['--session', 'bench']],
];

const cases = [
  ['`node -e 0`', [process.execPath, '-e', '0'], {}],
  ['fixture CLI alone', [FIXTURE_CLI, '-p', '--', 'hi'], {}],
];
for (const [config, home, extra] of configs) {
  const agent = ['agent', '--message', 'hi', ...extra];
  const env = { SAFETYNET_HOME: home };
  cases.push([`${config}: bundle (today)`, [process.execPath, BIN, ...agent], env]);
  cases.push([
    `${config}: ${snapshots[0][0]} file, no snapshot`,
    [process.execPath, join(snapshots[0][1], 'snapshot-entry.cjs'), ...agent],
    env,
  ]);
  for (const [label, dir] of snapshots)
    cases.push([`${config}: snapshot ${label}`, [process.execPath, '--snapshot-blob', join(dir, 'snapshot.blob'), ...agent], env]);
}

const samples = cases.map(() => ({ wall: [], cpu: [], rss: [] }));
const rounds = Number(values.rounds);
for (let round = -2; round < rounds; round++) {
  for (let k = 0; k < cases.length; k++) {
    const i = (k + round + 2) % cases.length;
    const [label, argv, env] = cases[i];
    const started = performance.now();
    const run = spawnSync('/usr/bin/time', ['-f', 'time: %M %U %S', ...argv], {
      cwd: work,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
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
const p = (list, q) =>
  percentile(
    [...list].sort((a, b) => a - b),
    q,
  );
const nodeP50 = p(samples[0].wall, 50);
const nodeCpuP50 = p(samples[0].cpu, 50);
const fixtureP50 = p(samples[1].wall, 50);
const fixtureCpuP50 = p(samples[1].cpu, 50);
const rows = cases.map(([label], i) => {
  const s = samples[i];
  const ratio = (value, base, fixture) => (i < 2 ? '' : `${fmt((value - fixture) / base, 2)}×`);
  return [
    label,
    fmt(p(s.wall, 50)),
    fmt(p(s.wall, 90)),
    ratio(p(s.wall, 50), nodeP50, fixtureP50),
    fmt(p(s.cpu, 50)),
    ratio(p(s.cpu, 50), nodeCpuP50, fixtureCpuP50),
    fmt(p(s.rss, 50)),
  ];
});
const headers = ['case', 'wall p50 ms', 'wall p90 ms', 'over node (wall)', 'CPU p50 ms', 'over node (CPU)', 'peak RSS p50 MiB'];
process.stdout.write(`${rounds} rounds, ${new Date().toISOString()}\n\n${table(headers, rows)}\n`);
await cleanup();
