/**
 * Token usage normalization for the three CLI dialects. Every value is kept only when it is a
 * number > 0 (`docs/cli-contracts.md#reading-output`); a record with none gives
 * `undefined`.
 *
 * Shapes (`docs/cli-contracts.md#output-shapes`):
 * - Claude `usage` (snake_case): `input_tokens`, `output_tokens`, `cache_read_input_tokens`,
 *   `cache_creation_input_tokens`; cost `total_cost_usd` on the result record.
 * - Codex `turn.completed.usage`: `input_tokens`, `cached_input_tokens`,
 *   `cache_write_input_tokens`, `output_tokens`, `reasoning_output_tokens`.
 * - Gemini `stats.models.<model>.tokens`: `input`, `prompt`, `candidates`, `total`, `cached`,
 *   `thoughts`, `tool` (summed over models).
 */
import { isRecord, type JsonRecord } from '../../../config/json-record.js';
import type { Usage } from '../../types.js';

/** The first key of `record` holding a number > 0. */
function positive(record: JsonRecord, keys: readonly string[]): number | undefined {
  for (const key of keys) {
    const value = record[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
  }
  return undefined;
}

/** Drops unset fields; `undefined` when nothing is left. */
function compact(usage: Usage): Usage | undefined {
  const out: Usage = {};
  for (const key of ['input', 'output', 'cacheRead', 'cacheWrite', 'total', 'costUsd'] as const) {
    const value = usage[key];
    if (value !== undefined && value > 0) out[key] = value;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Normalizes one usage object (Claude, Codex, or a generic camelCase one).
 *
 * - `input`: `input` / `input_tokens` / `inputTokens`; when a bare `cached` key exists (the
 *   Gemini token shape) `input` becomes `input − cached`.
 * - `output`: `output_tokens` / `outputTokens` / `output`.
 * - `cacheRead`: `cache_read_input_tokens` / `cached_input_tokens` / `cacheReadInputTokens` /
 *   `cacheRead` / `cached`.
 * - `cacheWrite`: `cache_creation_input_tokens` / `cache_write_input_tokens` /
 *   `cacheCreationInputTokens` / `cacheWrite`.
 * - `total`: `total_tokens` / `totalTokens` / `total` (only when reported, never computed).
 */
export function normalizeUsage(raw: unknown): Usage | undefined {
  if (!isRecord(raw)) return undefined;
  let input = positive(raw, ['input', 'input_tokens', 'inputTokens']);
  const cached = positive(raw, ['cached']);
  if (input !== undefined && cached !== undefined && typeof raw.input !== 'number') input -= cached;
  const usage: Usage = {};
  if (input !== undefined) usage.input = input;
  const output = positive(raw, ['output_tokens', 'outputTokens', 'output']);
  if (output !== undefined) usage.output = output;
  const cacheRead = positive(raw, ['cache_read_input_tokens', 'cached_input_tokens', 'cacheReadInputTokens', 'cacheRead', 'cached']);
  if (cacheRead !== undefined) usage.cacheRead = cacheRead;
  const cacheWrite = positive(raw, ['cache_creation_input_tokens', 'cache_write_input_tokens', 'cacheCreationInputTokens', 'cacheWrite']);
  if (cacheWrite !== undefined) usage.cacheWrite = cacheWrite;
  const total = positive(raw, ['total_tokens', 'totalTokens', 'total']);
  if (total !== undefined) usage.total = total;
  return compact(usage);
}

/**
 * Gemini `stats` (`docs/cli-contracts.md#output-shapes`): sums `stats.models.<model>.tokens` over every model (the
 * model router's call included): `input` (already net of `cached`; else `prompt − cached`),
 * `output` = `candidates + thoughts`, `cacheRead` = `cached`, `total`. Falls back to
 * {@link normalizeUsage} for a flat `stats` object.
 */
export function geminiStatsUsage(stats: unknown): Usage | undefined {
  if (!isRecord(stats)) return undefined;
  if (!isRecord(stats.models)) return normalizeUsage(stats);
  const sum = { input: 0, output: 0, cacheRead: 0, total: 0 };
  for (const model of Object.values(stats.models)) {
    if (!isRecord(model) || !isRecord(model.tokens)) continue;
    const tokens = model.tokens;
    const cached = positive(tokens, ['cached']) ?? 0;
    sum.input += positive(tokens, ['input']) ?? Math.max(0, (positive(tokens, ['prompt']) ?? 0) - cached);
    sum.output += (positive(tokens, ['candidates']) ?? 0) + (positive(tokens, ['thoughts']) ?? 0);
    sum.cacheRead += cached;
    sum.total += positive(tokens, ['total']) ?? 0;
  }
  return compact(sum);
}

/**
 * The usage of one JSON record: `usage` (Claude, Codex, generic), else Gemini `stats` when
 * `usage` is missing or has no token fields; plus `costUsd` from `total_cost_usd` (Claude,
 * computed locally by the CLI from its price table) or `cost_usd`.
 */
export function recordUsage(record: JsonRecord): Usage | undefined {
  const tokens = normalizeUsage(record.usage) ?? geminiStatsUsage(record.stats);
  const cost = positive(record, ['total_cost_usd', 'cost_usd', 'costUsd']);
  if (cost === undefined) return tokens;
  return { ...tokens, costUsd: cost };
}

/**
 * Usage of a report whose input count includes the cached tokens (OpenAI Chat `prompt_tokens`,
 * Responses `input_tokens`): `input` excludes them and `cacheRead` holds them, as for every other
 * source. Counts are tokens; `cached` undefined means none.
 */
export function usageWithCachedInput(counts: {
  input: number;
  cached: number | undefined;
  output: number;
  total: number;
}): Usage | undefined {
  const cached = counts.cached ?? 0;
  return normalizeUsage({
    input_tokens: counts.input - cached,
    output_tokens: counts.output,
    cache_read_input_tokens: cached,
    total_tokens: counts.total,
  });
}
