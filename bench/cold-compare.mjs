// Whole-process cold start of `safetynet agent`, two checkouts side by side (issue 12's "before and
// after"), not part of `npm run bench`: every case runs in each round in rotating order, after two
// warm-up rounds, through /usr/bin/time (GNU time, Debian package `time`) for peak RSS and CPU time.
//
//   node bench/cold-compare.mjs [--rounds N] <label>=<checkout> ...
//
// A checkout is a folder with bin/safetynet.js (and its dist/, node_modules/). Cases per checkout:
// one-shot, traces off, --session, and API-first failover (an API provider on a refused loopback
// port, then the fixture CLI; its cooldown is removed before each run, so every run fails over).
// Baselines of the same run: `node -e 0` and the fixture CLI alone.
// "over node" = (case p50 − fixture p50) / node -e 0 p50, issue 12's measure: the turn's own cost (the
// turn minus the CLI alone) in Node start-ups, of the wall-clock time and of the CPU time (user + system;
// steadier on a busy machine).
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { agentHome } from './cold-start.mjs';
import { cleanup, FIXTURE_CLI, fixtureBackend, fmt, percentile, table, TRACES_OFF, tempDir } from './lib.mjs';

const { values, positionals } = parseArgs({ options: { rounds: { type: 'string', default: '12' } }, allowPositionals: true });
const checkouts = positionals.map((spec) => spec.split('='));
if (checkouts.length === 0 || checkouts.some((pair) => pair.length !== 2))
  throw new Error('usage: cold-compare.mjs [--rounds N] <label>=<checkout> ...');

const root = await tempDir('cold-compare');
const work = join(root, 'work');
await mkdir(work);
const homes = {
  oneShot: await agentHome(root, 'one-shot'),
  untraced: await agentHome(root, 'untraced', TRACES_OFF),
  session: await agentHome(root, 'session'),
  apiFirst: await agentHome(root, 'api-first'),
};
await writeFile(
  join(homes.apiFirst, 'config.json5'),
  JSON.stringify({
    models: { providers: { refused: { api: 'anthropic-messages', baseUrl: 'http://127.0.0.1:1', apiKey: 'sk-bench' } } },
    agents: {
      defaults: { model: { primary: 'refused/m', fallbacks: ['bench-cli/default'] }, cliBackends: { 'bench-cli': fixtureBackend() } },
    },
  }),
);

const cases = [
  ['`node -e 0`', [process.execPath, '-e', '0'], {}],
  ['fixture CLI alone', [FIXTURE_CLI, '-p', '--', 'hi'], {}],
];
for (const [label, checkout] of checkouts) {
  const agent = (home, extra = []) => [
    [process.execPath, join(checkout, 'bin/safetynet.js'), 'agent', '--message', 'hi', ...extra],
    { SAFETYNET_HOME: home },
  ];
  cases.push([`${label}: one-shot`, ...agent(homes.oneShot)]);
  cases.push([`${label}: one-shot, traces off`, ...agent(homes.untraced)]);
  cases.push([`${label}: --session`, ...agent(homes.session, ['--session', 'bench'])]);
  // Every run fails over: the cooldown the previous run stored is removed first (untimed), so that
  // no run skips the API candidate or only probes it.
  cases.push([
    `${label}: API refused → CLI`,
    ...agent(homes.apiFirst),
    () => rmSync(join(homes.apiFirst, 'state'), { recursive: true, force: true }),
  ]);
}

const samples = cases.map(() => ({ wall: [], cpu: [], rss: [] }));
const rounds = Number(values.rounds);
for (let round = -2; round < rounds; round++) {
  for (let k = 0; k < cases.length; k++) {
    const i = (k + round + 2) % cases.length;
    const [label, argv, env, reset] = cases[i];
    reset?.();
    const started = performance.now();
    const run = spawnSync('/usr/bin/time', ['-f', 'time: %M %U %S', ...argv], {
      cwd: work,
      env: { ...process.env, ...env },
      encoding: 'utf8',
    });
    const wall = performance.now() - started;
    const usage = /time: (\d+) ([\d.]+) ([\d.]+)/.exec(run.stderr);
    if (run.status !== 0 || usage === null) throw new Error(`${label} failed (${run.status}): ${run.stderr}`);
    if (round < 0) continue;
    samples[i].wall.push(wall);
    samples[i].cpu.push((Number(usage[2]) + Number(usage[3])) * 1000);
    samples[i].rss.push(Number(usage[1]) / 1024);
  }
}
const p = (values, q) =>
  percentile(
    [...values].sort((a, b) => a - b),
    q,
  );
const nodeP50 = p(samples[0].wall, 50);
const fixtureP50 = p(samples[1].wall, 50);
const nodeCpuP50 = p(samples[0].cpu, 50);
const fixtureCpuP50 = p(samples[1].cpu, 50);
const rows = cases.map(([label], i) => {
  const s = samples[i];
  const over = i < 2 ? '' : `${fmt((p(s.wall, 50) - fixtureP50) / nodeP50, 2)}×`;
  const overCpu = i < 2 ? '' : `${fmt((p(s.cpu, 50) - fixtureCpuP50) / nodeCpuP50, 2)}×`;
  return [label, fmt(p(s.wall, 50)), fmt(p(s.wall, 90)), over, fmt(p(s.cpu, 50)), overCpu, fmt(p(s.rss, 50)), fmt(Math.max(...s.rss))];
});
process.stdout.write(
  `${rounds} rounds, ${new Date().toISOString()}\n\n${table(['case', 'wall p50 ms', 'wall p90 ms', 'over node (wall p50)', 'CPU p50 ms', 'over node (CPU p50)', 'peak RSS p50 MiB', 'peak RSS max MiB'], rows)}\n`,
);
await cleanup();
