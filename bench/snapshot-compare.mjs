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
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { agentHome } from './cold-start.mjs';
import { BIN, cleanup, FIXTURE_CLI, TRACES_OFF, tempDir } from './lib.mjs';
import { measureProcesses, processReport } from './process-rounds.mjs';

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

const rounds = Number(values.rounds);
process.stdout.write(processReport(cases, measureProcesses(cases, rounds, work), rounds));
await cleanup();
