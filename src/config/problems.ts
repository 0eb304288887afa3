/**
 * Rendering configuration problems: dotted key paths, received values, "did you mean" suggestions,
 * and the one {@link ConfigError} that lists them all. Dependency-free (no zod), so merge and load
 * use it too.
 */
import { ConfigError, type ConfigProblem } from '../errors.js';
import { isRecord } from './json-record.js';

/** One step of a key path: an object key or an array index. */
export type PathKey = string | number;

/**
 * Levenshtein edit distance (insertions, deletions, substitutions each cost 1).
 * Used to suggest the closest valid key.
 */
export function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * The valid key closest to `key` (case-insensitive Levenshtein, at most ⌈length/3⌉ edits), else a
 * valid key that starts with `key` (e.g. `model` → `modelArg`), else `undefined`.
 */
export function closestKey(key: string, valid: readonly string[]): string | undefined {
  const lower = key.toLowerCase();
  let best: { key: string; distance: number } | undefined;
  for (const candidate of valid) {
    const distance = levenshtein(lower, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { key: candidate, distance };
  }
  if (best !== undefined && best.distance <= Math.max(1, Math.ceil(key.length / 3))) return best.key;
  if (lower.length >= 4) return valid.find((candidate) => candidate.toLowerCase().startsWith(lower));
  return undefined;
}

/** Renders a key path: `agents.defaults.cliBackends.codex-cli.args[2]`, `models["claude-cli/opus-4.6"]`. */
export function formatPath(path: readonly PathKey[]): string {
  if (path.length === 0) return '(top level)';
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (key !== '' && /^[^.\s[\]"']+$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(key)}]`;
  }
  return out;
}

/** JSON of a received value, truncated to 80 characters; `(missing)` for an absent key. */
export function renderReceived(value: unknown): string {
  if (value === undefined) return '(missing)';
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  const text = json ?? String(value);
  return text.length > 80 ? `${text.slice(0, 79)}…` : text;
}

/** The value at `path` inside `root`, or `undefined` when any step is missing. */
export function valueAt(root: unknown, path: readonly PathKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (Array.isArray(current) && typeof key === 'number') current = current[key];
    else if (isRecord(current) && typeof key === 'string' && Object.hasOwn(current, key)) current = current[key];
    else return undefined;
  }
  return current;
}

/** Renders one problem as a line of the error message. */
export function formatProblem(problem: ConfigProblem): string {
  const hint = problem.hint === undefined ? '' : ` (${problem.hint})`;
  return `${problem.path}: expected ${problem.expected}, received ${problem.received}${hint}`;
}

/**
 * The `SAFETYNET_CONFIG_INVALID` error listing every problem, one per line:
 * `Invalid config <file> (N problems):` then `  - <path>: expected <shape>, received <json> (<hint>)`.
 */
export function invalidConfig(file: string, problems: ConfigProblem[], cause?: unknown): ConfigError {
  const count = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  const lines = problems.map((problem) => `  - ${formatProblem(problem)}`);
  return new ConfigError('SAFETYNET_CONFIG_INVALID', `Invalid config ${file} (${count}):\n${lines.join('\n')}`, {
    file,
    problems,
    ...(cause === undefined ? {} : { cause }),
  });
}
