// 2. Cold start: the whole `safetynet agent` process with the fixture CLI vs the fixture alone,
// and where the added time goes (Node start-up, module groups, config, store open).
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { spawnFixtureDirect } from './cli-overhead.mjs';
import {
  BENCH_DIR,
  BIN,
  compare,
  compareFigures,
  COMPARE_HEADERS,
  compareRow,
  fixtureBackend,
  interleave,
  log,
  stats,
  tempDir,
  TRACES_OFF,
} from './lib.mjs';

/** Module groups whose import time is measured, each in its own fresh process. */
const IMPORT_GROUPS = [
  ['execa', ['execa']],
  ['xstate', ['xstate']],
  ['level (+ classic-level native binding)', ['level']],
  ['json5', ['json5']],
  ['zod', ['zod']],
  ['commander', ['commander']],
  ['nanoid', ['nanoid']],
  ['@anthropic-ai/sdk (lazy, API path only)', ['@anthropic-ai/sdk']],
  ['openai (lazy, API path only)', ['openai']],
  ['dist/bundle/main.js (what bin/safetynet.js imports)', ['dist/bundle/main.js']],
  ['dist/runtime/runtime.js', ['dist/runtime/runtime.js']],
  ['dist/config/schema.js (zod schema, lazy)', ['dist/config/schema.js']],
  ['dist/store/index.js (lazy)', ['dist/store/index.js']],
];

/** A home folder with a config.json5 naming the fixture as the primary backend. */
export async function agentHome(root, name, extra = {}) {
  const home = join(root, name);
  await mkdir(home, { recursive: true });
  const config = {
    agents: { defaults: { model: { primary: 'bench-cli/default' }, cliBackends: { 'bench-cli': fixtureBackend() } } },
    ...extra,
  };
  await writeFile(join(home, 'config.json5'), `// safetynet benchmark config\n${JSON.stringify(config, null, 2)}\n`);
  return home;
}

/** `node bin/safetynet.js agent --message hi …` in `home`; throws unless it answered. */
export async function runAgent(home, cwd, extraArgs = [], nodeArgs = []) {
  const result = await execa(process.execPath, [...nodeArgs, BIN, 'agent', '--message', 'hi', ...extraArgs], {
    env: { ...process.env, SAFETYNET_HOME: home },
    cwd,
    stdin: 'ignore',
    reject: false,
    timeout: 30_000,
  });
  if (result.exitCode !== 0 || !result.stdout.startsWith('ok: '))
    throw new Error(`safetynet agent failed (${result.exitCode}): ${result.stderr}`);
  return result;
}

async function probe(args, env) {
  const result = await execa(process.execPath, [join(BENCH_DIR, 'cold-probe.mjs'), ...args], { env, stdin: 'ignore', timeout: 30_000 });
  return JSON.parse(result.stdout);
}

export async function coldStart({ quick }) {
  const root = await tempDir('cold');
  const work = join(root, 'work');
  await mkdir(work);
  const oneShotHome = await agentHome(root, 'home-oneshot');
  const sessionHome = await agentHome(root, 'home-session');
  const untracedHome = await agentHome(root, 'home-untraced', TRACES_OFF);
  const n = quick ? 3 : 40;
  log(`  agent vs fixture: ${n} rounds`);
  const runs = await interleave({
    n,
    warmup: quick ? 1 : 3,
    fns: {
      fixture: () => spawnFixtureDirect('hi'),
      node: () => execa(process.execPath, ['-e', '0'], { stdin: 'ignore' }),
      oneShot: () => runAgent(oneShotHome, work),
      untraced: () => runAgent(untracedHome, work),
      session: () => runAgent(sessionHome, work, ['--session', 'bench']),
    },
  });
  const oneShot = compare(runs.fixture, runs.oneShot);
  const session = compare(runs.fixture, runs.session);
  const untraced = compare(runs.fixture, runs.untraced);
  const bare = compare(runs.fixture, runs.node);

  // Where the time goes: the agent's phases one by one, each probe a fresh process.
  const k = quick ? 1 : 15;
  log(`  phases: ${k} processes; imports: ${k} processes per module group`);
  const phaseSamples = {};
  const probeEnv = { ...process.env, SAFETYNET_HOME: oneShotHome };
  for (let i = 0; i < k; i++) {
    const phases = await probe(['phases', root], probeEnv);
    for (const [name, ms] of Object.entries(phases)) {
      phaseSamples[name] ??= [];
      phaseSamples[name].push(ms);
    }
  }
  const importSamples = {};
  for (let i = 0; i < k; i++) {
    for (const [label, specs] of IMPORT_GROUPS) {
      const out = await probe(['import', ...specs], process.env);
      importSamples[label] ??= [];
      importSamples[label].push(specs.reduce((sum, spec) => sum + out[spec], 0));
    }
  }
  const phaseStats = Object.entries(phaseSamples).map(([name, samples]) => [name, stats(samples)]);
  const importStats = IMPORT_GROUPS.map(([label]) => [label, stats(importSamples[label])]);
  // Before the CLI is spawned: Node, the modules, the config, and (once a state folder exists,
  // which the first stored trace creates) the store's import and the cooldown read.
  const beforeCli = [
    'boot',
    'import cli/main.js',
    'import runtime',
    'createRuntime',
    'import store',
    'store: open + get + close (existing folder)',
  ];
  const beforeCliP50 = phaseStats
    .filter(([name]) => beforeCli.some((prefix) => name.startsWith(prefix)))
    .reduce((sum, [, s]) => sum + s.p50, 0);

  return {
    id: 'cold-start',
    title: '2. Cold start (`safetynet agent`)',
    method:
      'Baseline: spawning the fixture CLI alone (execa, as in 1). Subjects: `node bin/safetynet.js agent --message hi` as `npx safetynet agent` runs it, with `SAFETYNET_HOME` holding a `config.json5` whose primary is the fixture ' +
      '(so json5 is loaded, as for a user with a config; zod only when the validated-config cache misses); "one-shot" with the default config journals a request trace beside the state folder at the end (`docs/start-up.md#trace-journal`: no LevelDB), "traces off" adds `safetynet.traces.maxCount: 0`, "--session" opens LevelDB, reads the binding and writes it back. ' +
      "`node -e 0` is Node's own start-up on this machine. The five are interleaved per round (rotating order). " +
      "The breakdown runs `bench/cold-probe.mjs` in fresh processes: the agent's phases timed one after another in one process (in the order the agent runs them, sharing already-loaded modules), and each module group imported alone in its own process (its full cost, including dependencies shared with other groups).",
    tables: [
      {
        headers: COMPARE_HEADERS,
        rows: [
          compareRow('`node -e 0` (Node start-up)', bare),
          compareRow('`safetynet agent` one-shot', oneShot),
          compareRow('`safetynet agent` one-shot, traces off', untraced),
          compareRow('`safetynet agent --session`', session),
        ],
      },
      {
        caption: `Phases of the agent, one probe process each (${k} processes), ms`,
        headers: ['phase', 'p50', 'p99'],
        rows: phaseStats.map(([name, s]) => [name, s.p50, s.p99]),
      },
      {
        caption: `Import time of each module group alone, in a fresh process (${k} processes each), ms`,
        headers: ['module group', 'p50', 'p99'],
        rows: importStats.map(([name, s]) => [name, s.p50, s.p99]),
      },
    ],
    figures: {
      ...compareFigures('node', bare),
      ...compareFigures('oneShot', oneShot),
      ...compareFigures('session', session),
      ...compareFigures('oneShotNoTraces', untraced),
      beforeCliP50,
      ...Object.fromEntries(phaseStats.map(([name, s]) => [`phase.${name}.p50`, s.p50])),
      ...Object.fromEntries(importStats.map(([name, s]) => [`import.${name}.p50`, s.p50])),
    },
    targets: [
      {
        name: '`safetynet agent` one-shot: overhead (p50 added over the fixture alone) in `node -e 0` start-ups, same run (issue 12)',
        target: '≤ 2×',
        value: oneShot.addedP50 / bare.subject.p50,
        met: oneShot.addedP50 / bare.subject.p50 <= 2,
      },
      {
        name: '`safetynet agent --session`: overhead in `node -e 0` start-ups, same run (issue 12)',
        target: '≤ 2.5×',
        value: session.addedP50 / bare.subject.p50,
        met: session.addedP50 / bare.subject.p50 <= 2.5,
      },
      {
        name: "`safetynet agent` start-up before the CLI runs (Node boot, imports, config, store open: sum of those phases' p50)",
        target: 'well under 500 ms (taken as < 250 ms)',
        value: beforeCliP50,
        met: beforeCliP50 < 250,
      },
      {
        name: '`safetynet agent` one-shot, added over the fixture alone (p99)',
        target: '< 500 ms',
        value: oneShot.addedP99,
        met: oneShot.addedP99 < 500,
      },
    ],
  };
}
