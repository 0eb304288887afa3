/**
 * Near-misses of the sections safetynet reads: the top level and `agents` stay open (the reference
 * gateway's other sections are ignored), but a key that is not one of the reference gateway's and
 * is close to a section safetynet reads (`agent` for `agents`, `agents.default` for
 * `agents.defaults`, `safetynett`) would silently drop the whole section, so it is a problem with
 * the suggestion. Dependency-free (no zod).
 */
import type { ConfigProblem } from '../errors.js';
import { isRecord } from './json-record.js';
import { closestKey, formatPath, renderReceived } from './problems.js';
import { REFERENCE_AGENTS_KEYS, REFERENCE_TOP_LEVEL_KEYS } from './reference-keys.js';

/** The top-level sections safetynet reads. */
const READ_TOP_LEVEL = ['agents', 'models', 'safetynet'] as const;

/**
 * What a near-miss problem shows of the value: the keys of an object, the length of an array or
 * string, else the JSON. Never the text itself: a misplaced section may hold credentials.
 */
function describeValue(value: unknown): string {
  if (isRecord(value)) {
    const keys = Object.keys(value);
    return keys.length === 0 ? 'an empty object' : `an object with keys ${keys.join(', ')}`;
  }
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') return `a string of ${value.length} characters`;
  return renderReceived(value);
}

function scan(
  section: Record<string, unknown>,
  prefix: string[],
  known: readonly string[],
  read: readonly string[],
  file: string,
): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(section)) {
    if (known.includes(key)) continue;
    const suggestion = closestKey(key, read);
    if (suggestion === undefined) continue;
    const where = prefix.length === 0 ? 'at the top level' : `in ${formatPath(prefix)}`;
    problems.push({
      file,
      path: formatPath([...prefix, key]),
      expected: `a key safetynet reads or one of the reference gateway's ${where}`,
      received: describeValue(value),
      hint: `did you mean "${suggestion}"?`,
    });
  }
  return problems;
}

/**
 * The near-miss problems of a parsed config: top-level keys close to `agents`, `models` or
 * `safetynet`, and `agents` keys close to `defaults`, that are not keys of the reference gateway.
 *
 * @param raw The parsed config value (anything; a non-object gives no problems, the schema reports it).
 * @param file The file path named in each problem.
 */
export function nearMissProblems(raw: unknown, file: string): ConfigProblem[] {
  if (!isRecord(raw)) return [];
  const problems = scan(raw, [], [...REFERENCE_TOP_LEVEL_KEYS, 'safetynet'], READ_TOP_LEVEL, file);
  const agents = raw['agents'];
  if (isRecord(agents)) problems.push(...scan(agents, ['agents'], REFERENCE_AGENTS_KEYS, ['defaults'], file));
  return problems;
}
