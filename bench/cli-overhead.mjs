// 1. CLI path overhead: runtime.run() with the fixture CLI vs spawning the same fixture with execa.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { execa } from 'execa';
import {
  compare,
  compareFigures,
  COMPARE_HEADERS,
  compareRow,
  dist,
  FIXTURE_CLI,
  fixtureArgv,
  fixtureBackend,
  interleave,
  log,
  paired,
  tempDir,
  TRACES_OFF,
} from './lib.mjs';

/** The direct path: spawn the fixture with the argv the runtime would build, parse its JSON. */
export async function spawnFixtureDirect(prompt, env) {
  const result = await execa(FIXTURE_CLI, fixtureArgv(prompt, randomUUID()), { stdin: 'ignore', ...(env === undefined ? {} : { env }) });
  const parsed = JSON.parse(result.stdout);
  if (parsed.is_error !== false) throw new Error(`fixture failed: ${result.stdout}`);
  return parsed;
}

export async function cliOverhead({ quick }) {
  const { createRuntime } = await dist('index.js');
  const home = await tempDir('cli');
  const agents = { defaults: { model: { primary: 'bench-cli/default' }, cliBackends: { 'bench-cli': fixtureBackend() } } };
  const env = { ...process.env, SAFETYNET_HOME: home };
  const runtime = await createRuntime({ config: { agents }, env, storeLocation: join(home, 'state') });
  const untraced = await createRuntime({ config: { agents, ...TRACES_OFF }, env, storeLocation: join(home, 'state-untraced') });
  const n = quick ? 20 : 400;
  const check = (result) => {
    if (!result.text.startsWith('ok: ')) throw new Error(`unexpected reply ${result.text}`);
  };
  try {
    log(`  one-shot: ${n} rounds of direct / run() / run() without traces`);
    const three = await interleave({
      n,
      fns: {
        direct: (i) => spawnFixtureDirect(`p${i}`),
        run: async (i) => check(await runtime.run({ message: `p${i}` })),
        untraced: async (i) => check(await untraced.run({ message: `p${i}` })),
      },
    });
    const oneShot = compare(three.direct, three.run);
    const noTraces = compare(three.direct, three.untraced);
    log(`  with a session key: ${n} pairs`);
    const sessioned = await paired({
      n,
      baseline: (i) => spawnFixtureDirect(`s${i}`),
      subject: async (i) => check(await runtime.run({ message: `s${i}`, sessionKey: 'bench-conversation' })),
    });
    return {
      id: 'cli-overhead',
      title: '1. CLI path overhead',
      method:
        'Baseline: `execa(fixture, argv, { stdin: "ignore" })` with the argv the runtime builds (`-p --output-format json --session-id <uuid> -- <prompt>`), then `JSON.parse` of stdout. ' +
        'Subject: `runtime.run({ message })` of a runtime created once, whose primary is the same fixture as a custom CLI backend (Claude-like: `sessionMode: always`, `--session-id`, `--` separator). ' +
        'The fixture (`bench/fixture-cli.sh`) is a /bin/sh script that prints one Claude-style result JSON line, so the fixture itself costs about a process spawn. ' +
        'Rows: "default config" stores a request trace in the state folder at the end of every request (`safetynet.traces`, default on, 500 kept); "traces off" is the same with `safetynet.traces.maxCount: 0` (no LevelDB access at all for a one-shot turn). ' +
        'Last row: the default config with `sessionKey` (LevelDB get of the binding before the turn, `--resume <id>`, and `recordSuccess` after it; the store stays open between back-to-back requests, `idleCloseMs` 250). ' +
        'The functions of a row run in rotating order every round, after a warm-up; all times in ms.',
      tables: [
        {
          headers: COMPARE_HEADERS,
          rows: [
            compareRow('one-shot `run()`, default config', oneShot),
            compareRow('one-shot `run()`, traces off', noTraces),
            compareRow('`run()` with `sessionKey`, default config', sessioned),
          ],
        },
      ],
      figures: {
        ...compareFigures('oneShot', oneShot),
        ...compareFigures('oneShotNoTraces', noTraces),
        ...compareFigures('sessioned', sessioned),
      },
      targets: [
        {
          name: 'CLI turn: runtime cost over spawning the CLI directly (p50, default config)',
          target: '"a few milliseconds" (≤ 5 ms)',
          value: oneShot.addedP50,
          met: oneShot.addedP50 <= 5,
        },
        { name: 'CLI turn with a session key: added (p50)', target: '≤ 5 ms', value: sessioned.addedP50, met: sessioned.addedP50 <= 5 },
      ],
    };
  } finally {
    await runtime.close();
    await untraced.close();
  }
}
