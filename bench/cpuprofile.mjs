// Summaries of V8 CPU profiles (`node --cpu-prof`, or `Profiler.stop` of `node:inspector`): the top
// self-time functions and self time per package / project folder.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO } from './lib.mjs';

/** Self ms per profile node: the sampled time deltas attributed to the node each sample hit. */
function selfTimes(profile) {
  const self = new Map();
  const { samples = [], timeDeltas = [] } = profile;
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i + 1] is the time until the next sample, i.e. how long samples[i] lasted
    const us = timeDeltas[i + 1] ?? timeDeltas[i] ?? 0;
    self.set(samples[i], (self.get(samples[i]) ?? 0) + us / 1000);
  }
  return self;
}

/**
 * Where a function lives: `node_modules/<pkg>`, `safetynet dist/<folder>`, `bench`, the Node module
 * (`node:fs`, `node:internal/timers`, the ESM/CJS loader as one group), or `(native) <name>`.
 */
export function groupOf(url, name = '') {
  if (url === '') return `(native) ${name || '(anonymous)'}`;
  if (url.startsWith('node:internal/modules/') || url.startsWith('node:internal/deps/cjs-module-lexer')) return 'node: module loader';
  if (url.startsWith('node:internal/deps/undici')) return 'node: undici (fetch)';
  if (url.startsWith('node:')) return url;
  let path = url;
  try {
    if (url.startsWith('file:')) path = fileURLToPath(url);
  } catch {
    return url;
  }
  const modules = path.lastIndexOf(`node_modules${sep}`);
  if (modules >= 0) {
    const parts = path.slice(modules + 13).split(sep);
    return `node_modules/${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
  }
  const rel = relative(REPO, path);
  if (!rel.startsWith('..')) {
    const parts = rel.split(sep);
    return parts[0] === 'dist' ? `safetynet dist/${parts[1]?.endsWith('.js') ? parts[1] : `${parts[1]}/`}` : parts[0];
  }
  return path;
}

function shortUrl(url) {
  if (url === '') return '';
  let path = url;
  try {
    if (url.startsWith('file:')) path = fileURLToPath(url);
  } catch {
    return url;
  }
  const modules = path.lastIndexOf(`node_modules${sep}`);
  if (modules >= 0) return path.slice(modules + 13);
  const rel = relative(REPO, path);
  return rel.startsWith('..') ? path : rel;
}

/**
 * Aggregate profiles: self ms per function (name + file + line) and per group.
 * @returns `{ totalMs, idleMs, busyMs, functions: [{ name, where, ms, pct }], groups: [{ group, ms, pct }] }`
 *   sorted by self time, pct of the non-idle time; `topGroups` groups at most.
 */
export function summarize(profiles, topGroups = 12) {
  const functions = new Map();
  const groups = new Map();
  let totalMs = 0;
  let idleMs = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    for (const [id, ms] of selfTimes(profile)) {
      const frame = byId.get(id)?.callFrame;
      if (frame === undefined) continue;
      totalMs += ms;
      if (frame.functionName === '(idle)') {
        idleMs += ms;
        continue;
      }
      const name = frame.functionName || '(anonymous)';
      const where = frame.url === '' ? '' : `${shortUrl(frame.url)}:${frame.lineNumber + 1}`;
      const key = `${name}\u0000${where}`;
      const entry = functions.get(key) ?? { name, where, ms: 0 };
      entry.ms += ms;
      functions.set(key, entry);
      const group = ['(program)', '(garbage collector)'].includes(name) ? name : groupOf(frame.url, name);
      groups.set(group, (groups.get(group) ?? 0) + ms);
    }
  }
  const busy = Math.max(1e-9, totalMs - idleMs);
  const pct = (ms) => (ms / busy) * 100;
  return {
    totalMs,
    idleMs,
    busyMs: totalMs - idleMs,
    functions: [...functions.values()].sort((a, b) => b.ms - a.ms).map((f) => ({ ...f, pct: pct(f.ms) })),
    groups: [...groups.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, topGroups)
      .map(([group, ms]) => ({ group, ms, pct: pct(ms) })),
  };
}

/** Every `*.cpuprofile` of a folder, parsed. */
export async function readProfiles(dir) {
  const names = (await readdir(dir)).filter((name) => name.endsWith('.cpuprofile'));
  return Promise.all(names.map(async (name) => JSON.parse(await readFile(join(dir, name), 'utf8'))));
}
