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
import { rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { agentHome } from './cold-start.mjs';
import { cleanup, FIXTURE_CLI, fixtureBackend, TRACES_OFF, tempDir } from './lib.mjs';
import { measureProcesses, processReport } from './process-rounds.mjs';

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

const rounds = Number(values.rounds);
process.stdout.write(processReport(cases, measureProcesses(cases, rounds, work), rounds));
await cleanup();
