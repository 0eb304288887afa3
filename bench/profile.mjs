// CPU profiles of the paths measured above: where the runtime's own time goes.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { agentHome, runAgent } from './cold-start.mjs';
import { readProfiles, summarize } from './cpuprofile.mjs';
import { BENCH_DIR, log, tempDir } from './lib.mjs';

async function childProfile(scenario, count, root) {
  const dir = join(root, scenario);
  await mkdir(dir, { recursive: true });
  await execa(process.execPath, [join(BENCH_DIR, 'profile-child.mjs'), scenario, String(count), dir], {
    stdin: 'ignore',
    timeout: 300_000,
  });
  return summarize(await readProfiles(dir), Number.POSITIVE_INFINITY);
}

function groupTable(caption, summary) {
  return {
    caption,
    headers: ['where', 'self ms', '% of busy'],
    rows: summary.groups.slice(0, 12).map((g) => [g.group, g.ms, `${g.pct.toFixed(1)} %`]),
  };
}

/** Functions of the runtime's own stack (the project, xstate, level, execa, nanoid). */
const OWN = /^(dist\/|xstate\/|classic-level\/|abstract-level\/|level\/|execa\/|nanoid\/)/;

function functionTable(caption, summary, filter = () => true, top = 12) {
  return {
    caption,
    headers: ['function', 'location', 'self ms', '% of busy'],
    rows: summary.functions
      .filter(filter)
      .slice(0, top)
      .map((f) => [`\`${f.name}\``, f.where === '' ? '(native)' : `\`${f.where}\``, f.ms, `${f.pct.toFixed(1)} %`]),
  };
}

/**
 * Self µs per request by group: the baseline, then each subject and its difference to the
 * baseline; sorted by the last subject's difference.
 */
function diffTable(caption, count, base, subjects) {
  const perReq = (summary) => new Map(summary.groups.map((g) => [g.group, (g.ms * 1000) / count]));
  const a = perReq(base);
  const bs = subjects.map(([, summary]) => perReq(summary));
  const groups = [...new Set([...a.keys(), ...bs.flatMap((b) => [...b.keys()])])];
  const rows = groups
    .map((group) => {
      const baseUs = a.get(group) ?? 0;
      const values = bs.map((b) => b.get(group) ?? 0);
      return [group, baseUs, ...values, ...values.map((v) => v - baseUs)];
    })
    .sort((x, y) => y[y.length - 1] - x[x.length - 1])
    .filter((row) => Math.abs(row[row.length - 1]) >= 1 || Math.abs(row[2 + bs.length]) >= 1);
  const shown = [...rows.filter((row) => row[row.length - 1] > 0).slice(0, 16), ...rows.filter((row) => row[row.length - 1] < 0).slice(-4)];
  const busy = (summary) => (summary.busyMs * 1000) / count;
  const total = ['**total busy**', busy(base), ...subjects.map(([, s]) => busy(s)), ...subjects.map(([, s]) => busy(s) - busy(base))];
  return {
    caption,
    headers: [
      'where',
      'baseline µs/request',
      ...subjects.map(([name]) => `${name} µs/request`),
      ...subjects.map(([name]) => `added, ${name}`),
    ],
    rows: [...shown, total],
  };
}

export async function profiles({ quick }) {
  const root = await tempDir('profile');
  const tables = [];
  const figures = {};

  // Cold start: whole `safetynet agent` processes under `node --cpu-prof`.
  const k = quick ? 1 : 10;
  log(`  cold start: ${k} \`safetynet agent\` processes under --cpu-prof`);
  const coldDir = join(root, 'cold');
  const work = join(root, 'work');
  await mkdir(work, { recursive: true });
  const home = await agentHome(root, 'home');
  for (let i = 0; i < k; i++) await runAgent(home, work, [], ['--cpu-prof', '--cpu-prof-dir', coldDir, '--cpu-prof-interval', '100']);
  const cold = summarize(await readProfiles(coldDir));
  tables.push(
    groupTable(
      `Cold start, ${k} \`safetynet agent\` processes: self time by package / folder (${cold.busyMs.toFixed(0)} ms busy in all)`,
      cold,
    ),
  );
  tables.push(functionTable('Cold start: top self-time functions', cold));
  figures['cold.busyMsPerProcess'] = cold.busyMs / k;

  const api = quick ? 50 : 3000;
  const cli = quick ? 20 : 500;
  const fail = quick ? 20 : 500;
  log(
    `  api: ${api} requests, run() and direct SDK; cli: ${cli} requests, run() and raw spawns; failover: ${fail} requests (each profiled after a warm-up)`,
  );
  const apiRun = await childProfile('api', api, root);
  const apiUntraced = await childProfile('api-untraced', api, root);
  const apiDirect = await childProfile('api-direct', api, root);
  const cliRun = await childProfile('cli', cli, root);
  const cliUntraced = await childProfile('cli-untraced', cli, root);
  const cliDirect = await childProfile('cli-direct', cli, root);
  const failover = await childProfile('failover', fail, root);
  tables.push(
    diffTable(
      `API path (${api} sequential requests each, state folder present): self time per request by package / folder, direct SDK vs \`run()\` with traces off and with the default config (the stub server runs in the same process and counts on every side)`,
      api,
      apiDirect,
      [
        ['run() traces off', apiUntraced],
        ['run() default', apiRun],
      ],
    ),
  );
  tables.push(functionTable('API path `run()`, default config: top self-time functions', apiRun));
  tables.push(
    functionTable(
      `API path \`run()\`, default config: top self-time functions of the runtime's own stack (safetynet, xstate, level), ${api} requests`,
      apiRun,
      (f) => OWN.test(f.where),
    ),
  );
  tables.push(
    diffTable(
      `CLI path (${cli} sequential one-shot turns each): self time per request, raw execa spawn vs \`run()\` with traces off and with the default config`,
      cli,
      cliDirect,
      [
        ['run() traces off', cliUntraced],
        ['run() default', cliRun],
      ],
    ),
  );
  tables.push(functionTable('CLI path `run()`, default config: top self-time functions', cliRun));
  tables.push(
    functionTable(
      `CLI path \`run()\`, default config: top self-time functions of the runtime's own stack (safetynet, xstate, execa, level), ${cli} requests`,
      cliRun,
      (f) => OWN.test(f.where),
    ),
  );
  tables.push(groupTable(`Failover, 529 → fallback API (${fail} sequential requests): self time by package / folder`, failover));
  tables.push(functionTable('Failover: top self-time functions', failover));
  for (const [name, summary, count] of [
    ['api.run', apiRun, api],
    ['api.untraced', apiUntraced, api],
    ['api.direct', apiDirect, api],
    ['cli.run', cliRun, cli],
    ['cli.untraced', cliUntraced, cli],
    ['cli.direct', cliDirect, cli],
    ['failover', failover, fail],
  ]) {
    figures[`${name}.busyUsPerRequest`] = (summary.busyMs * 1000) / count;
  }
  return {
    id: 'profiles',
    title: '8. CPU profiles',
    method:
      'Cold start: `node --cpu-prof --cpu-prof-interval 100 bin/safetynet.js agent …` (config file, fixture CLI), self time summed over the processes. ' +
      'Steady state: `bench/profile-child.mjs` in a fresh process warms up, then profiles a loop of sequential requests with `node:inspector` (the profiler behind `--cpu-prof`, 100 µs sampling), once through `run()` and once through the direct path, so the per-request difference by package shows where the added time goes. ' +
      'Self time is grouped by package (`node_modules/<pkg>`), project folder (`safetynet dist/…`), Node module (`node:…`; the module loader and undici as one group each), native function (`(native) <name>`, e.g. `spawn`), and V8 (`(garbage collector)`, `(program)`); percentages are of the non-idle time. ' +
      'The difference tables list the 16 largest additions and the 4 largest savings per request (by the last column; groups under 1 µs left out). ' +
      "The profiles of a table run one after the other in separate processes (not interleaved), so totals carry the VM's noise and single rows are accurate to tens of µs at best: trust the groups that exist on one side only (xstate, level, the project's files) more than differences of shared ones.",
    tables,
    figures,
    targets: [],
  };
}
