// Shared helpers of the benchmark harness: timing, statistics, paired (interleaved) sampling,
// temp folders, the fixture CLI, and the machine description. Plain ESM, no dependencies.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const BENCH_DIR = dirname(fileURLToPath(import.meta.url));
export const REPO = dirname(BENCH_DIR);
export const DIST = join(REPO, 'dist');
export const BIN = join(REPO, 'bin/safetynet.js');
/** A Claude-style CLI: prints one `{"type":"result",…}` JSON line and exits (see the file). */
export const FIXTURE_CLI = join(BENCH_DIR, 'fixture-cli.sh');

/** Import a module of the compiled library (`dist/…`). */
export function dist(path) {
  return import(join(DIST, path));
}

/** Milliseconds `fn` takes (await included). */
export async function time(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

/** `{ n, p50, p99, mean, min, max }` of samples in ms. */
export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mean = sorted.reduce((sum, v) => sum + v, 0) / Math.max(1, sorted.length);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    mean,
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
  };
}

/**
 * Side-by-side sampling of several functions: `warmup` unrecorded rounds, then `n` rounds in which
 * every function runs once, the order rotating every round, so drift and noise of the shared VM
 * hit all of them alike. Each function gets the round index (negative while warming up).
 * @returns stats (ms) per name.
 */
export async function interleave({ n, warmup = Math.max(2, Math.ceil(n / 20)), fns, pauseMs = 0 }) {
  const names = Object.keys(fns);
  for (let i = 0; i < warmup; i++) for (const name of names) await fns[name](-1 - i);
  const samples = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      samples[name].push(await time(() => fns[name](i)));
      if (pauseMs > 0) await sleep(pauseMs);
    }
  }
  return Object.fromEntries(names.map((name) => [name, stats(samples[name])]));
}

/** {@link interleave} of a baseline and a subject, compared (added ms at p50/p99, ratio). */
export async function paired({ n, warmup, baseline, subject, pauseMs }) {
  const result = await interleave({ n, ...(warmup === undefined ? {} : { warmup }), fns: { baseline, subject }, pauseMs });
  return compare(result.baseline, result.subject);
}

/** Baseline vs subject: added ms at p50 and p99, ratio of the p50s. */
export function compare(base, subject) {
  return { baseline: base, subject, addedP50: subject.p50 - base.p50, addedP99: subject.p99 - base.p99, ratio: subject.p50 / base.p50 };
}

export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A fresh temp folder; `cleanup()` removes every folder made here. */
const folders = [];
export async function tempDir(prefix) {
  const dir = await mkdtemp(join(tmpdir(), `safetynet-bench-${prefix}-`));
  folders.push(dir);
  return dir;
}
export async function cleanup() {
  await Promise.all(folders.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

/**
 * Config that turns the per-request trace off (`safetynet.traces.maxCount: 0`); spread into a
 * config object. By default every request stores a trace in the state folder.
 */
export const TRACES_OFF = Object.freeze({ safetynet: { traces: { maxCount: 0 } } });

/** A CLI backend entry (config shape) for the fixture, Claude-like argv (`--session-id`, `--`). */
export function fixtureBackend(extra = {}) {
  return {
    command: FIXTURE_CLI,
    args: ['-p', '--output-format', 'json'],
    resumeArgs: ['-p', '--output-format', 'json', '--resume', '{sessionId}'],
    output: 'json',
    sessionArg: '--session-id',
    sessionMode: 'always',
    promptSeparator: '--',
    ...extra,
  };
}

/** The argv the runtime builds for a fresh one-shot turn of {@link fixtureBackend}. */
export function fixtureArgv(prompt, sessionId) {
  return ['-p', '--output-format', 'json', '--session-id', sessionId, '--', prompt];
}

/**
 * The measured source: the git commit, and whether `src/` has uncommitted changes (or
 * `$BENCH_SOURCE`, e.g. when measuring an exported commit outside a checkout).
 */
function sourceState() {
  if (process.env.BENCH_SOURCE) return process.env.BENCH_SOURCE;
  try {
    const git = (...args) =>
      execFileSync('git', args, { cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    const dirty = git('status', '--porcelain', '--', 'src') !== '';
    return `commit ${commit}${dirty ? ' plus uncommitted changes in src/' : ''}`;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

/** Cores, CPU model, memory, Node, OS, load, and the measured source. */
export function machine() {
  const list = cpus();
  return {
    source: sourceState(),
    loadAverage: loadavg().map((v) => Math.round(v * 100) / 100),
    cores: list.length,
    cpu: list[0]?.model?.trim() ?? 'unknown',
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

/** A number for tables: integers as they are, else 3 decimals below 1, 2 below 10, 1 below 1000, else none. */
export function fmt(value, digits) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return String(value);
  if (digits === undefined && Number.isInteger(value)) return String(value);
  const d = digits ?? (Math.abs(value) < 1 ? 3 : Math.abs(value) < 10 ? 2 : Math.abs(value) < 1000 ? 1 : 0);
  return value.toFixed(d);
}

/** A markdown table. */
export function table(headers, rows) {
  const line = (cells) => `| ${cells.map((cell) => (typeof cell === 'number' ? fmt(cell) : String(cell))).join(' | ')} |`;
  return [line(headers), line(headers.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Print one line to stderr (progress), so stdout stays the report. */
export function log(...parts) {
  process.stderr.write(`${parts.join(' ')}\n`);
}

/** Columns of a baseline-vs-subject comparison table. */
export const COMPARE_HEADERS = [
  'case',
  'samples',
  'baseline p50',
  'baseline p99',
  'subject p50',
  'subject p99',
  'added p50',
  'added p99',
  'ratio p50',
];

/** One row of a comparison table (ms). */
export function compareRow(label, cmp) {
  return [
    label,
    cmp.subject.n,
    cmp.baseline.p50,
    cmp.baseline.p99,
    cmp.subject.p50,
    cmp.subject.p99,
    cmp.addedP50,
    cmp.addedP99,
    `${fmt(cmp.ratio, 2)}×`,
  ];
}

/** The numbers of a comparison, flat (for the JSON output). */
export function compareFigures(prefix, cmp) {
  return {
    [`${prefix}.samples`]: cmp.subject.n,
    [`${prefix}.baselineP50`]: cmp.baseline.p50,
    [`${prefix}.baselineP99`]: cmp.baseline.p99,
    [`${prefix}.subjectP50`]: cmp.subject.p50,
    [`${prefix}.subjectP99`]: cmp.subject.p99,
    [`${prefix}.addedP50`]: cmp.addedP50,
    [`${prefix}.addedP99`]: cmp.addedP99,
    [`${prefix}.ratio`]: cmp.ratio,
  };
}
