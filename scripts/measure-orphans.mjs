#!/usr/bin/env node
// Issue 13 figures: orphans after N `kill -9` of `safetynet agent` mid-turn (CLI processes left 5 s
// after the kill, image folders left after the next start), and hangs (turns of `--timeout 2` on a
// CLI whose grandchild escaped with setsid that do not end within the deadline + 2 s).
// Usage: node scripts/measure-orphans.mjs [runs=10]   (needs dist/: npx tsc -p tsconfig.build.json)
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(import.meta.dirname, '..');
const BIN = join(REPO, 'bin/safetynet.js');
const runs = Number(process.argv[2] ?? 10);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Live (non-zombie) pids whose environment holds `marker`. */
function pidsWith(marker) {
  const pids = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      if (/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) continue;
      if (readFileSync(`/proc/${entry}/environ`, 'utf8').split('\0').includes(marker)) pids.push(Number(entry));
    } catch {}
  }
  return pids;
}
const killAll = (marker) =>
  pidsWith(marker).forEach((pid) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {}
  });

const root = mkdtempSync(join(tmpdir(), 'safetynet-measure-'));
const home = join(root, 'home');
const tmp = join(root, 'tmp');
mkdirSync(home);
mkdirSync(tmp);
const marker = `SAFETYNET_MEASURE=${root}`;
const config = join(root, 'config.json5');
writeFileSync(
  config,
  JSON.stringify({
    agents: {
      defaults: {
        cliBackends: {
          tree: {
            command: join(REPO, 'test/fixtures/bin/spawn-tree.sh'),
            args: [],
            output: 'text',
            imageArg: '--image',
            env: { SAFETYNET_MEASURE: root },
          },
          escape: { command: join(REPO, 'test/fixtures/bin/setsid-escape.sh'), args: [], output: 'text', env: { SAFETYNET_MEASURE: root } },
          ok: { command: process.execPath, args: ['-e', 'console.log("ok")'], output: 'text' },
        },
      },
    },
  }),
);
const env = { ...process.env, SAFETYNET_HOME: home, TMPDIR: tmp };
const agent = (model, extra = []) => ['--', BIN, 'agent', '--message', 'hi', '--model', model, '--config', config, ...extra].slice(1);

let orphans = 0;
let folders = 0;
for (let i = 0; i < runs; i++) {
  const child = spawn(process.execPath, agent('tree/x', ['--image', join(REPO, 'test/fixtures/pixel.png')]), { env, stdio: 'ignore' });
  for (let j = 0; j < 200 && pidsWith(marker).length < 4; j++) await sleep(50);
  const before = pidsWith(marker).length;
  child.kill('SIGKILL');
  await sleep(5000);
  const left = pidsWith(marker).length;
  spawnSync(process.execPath, agent('ok/x'), { env, stdio: 'ignore' }); // the next start
  const leftFolders = readdirSync(tmp).filter((n) => n.startsWith('safetynet-images-')).length;
  console.log(
    `kill -9 run ${i + 1}: ${before} CLI processes before, ${left} left 5 s after, ${leftFolders} image folders after the next start`,
  );
  orphans += left;
  folders += leftFolders;
  killAll(marker);
}

let hangs = 0;
for (let i = 0; i < Math.min(runs, 5); i++) {
  const started = performance.now();
  const result = spawnSync(process.execPath, agent('escape/x', ['--timeout', '2', '--json']), { env, timeout: 30_000 });
  const ms = performance.now() - started;
  let attemptMs = Number.NaN;
  try {
    attemptMs = JSON.parse(String(result.stdout)).attempts[0].durationMs;
  } catch {}
  const hung = result.error !== undefined || !(attemptMs <= 2000 + 2000); // the turn: deadline + 2 s
  console.log(`escape run ${i + 1}: exit ${result.status}, turn ${attemptMs} ms, command ${Math.round(ms)} ms${hung ? ' (HANG)' : ''}`);
  hangs += hung ? 1 : 0;
  killAll(marker);
}
console.log(`orphans after ${runs} kill -9 runs (5 s): ${orphans}; image folders left after the next start: ${folders}; hangs: ${hangs}`);
rmSync(root, { recursive: true, force: true });
