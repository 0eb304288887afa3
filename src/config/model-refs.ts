/**
 * Model refs (`<provider>/<model>`) and the candidate list of one request.
 *
 * Rules from the spec ("The provider id becomes the left side of your model ref", "If you use
 * agents.defaults.models (allowlist), you must include claude-cli/...") and the spec-era reference
 * gateway (`docs/spec-compatibility.md#model-refs`): split on the
 * first `/`, the provider lower-cased; a ref without `/` is an alias from `agents.defaults.models`;
 * candidates deduplicated by `provider/model`, the first occurrence winning.
 */
import { UsageError } from '../errors.js';
import { type ModelRef, splitModelRef } from './provider-id.js';
import type { ResolvedConfig } from './types.js';

export type { ModelRef } from './provider-id.js';

/** A configured fallback that is not tried, with the reason (shown to the caller, never dropped silently). */
export interface SkippedCandidate {
  /** The ref as configured. */
  ref: string;
  /** Why it is not tried, e.g. `not in agents.defaults.models allowlist`. */
  why: string;
  /** Its place in the configured order: how many tried candidates come before it. */
  before: number;
}

/** The ordered candidates of one request. */
export interface CandidateList {
  /** Refs to try, in order: the requested model (or the primary), then the fallbacks. */
  candidates: ModelRef[];
  /** Configured fallbacks that are not tried, with the reason. */
  skipped: SkippedCandidate[];
}

function whereConfigured(config: ResolvedConfig): string {
  return config.source === null ? 'your config file (none was found)' : config.source;
}

/**
 * Parses a model ref.
 *
 * - `"<provider>/<model>"`: split on the **first** `/`; the provider is lower-cased, both parts trimmed
 *   (`OpenRouter/deepseek/deepseek-r1` → provider `openrouter`, model `deepseek/deepseek-r1`);
 * - no `/`: looked up case-insensitively among `agents.defaults.models[*].alias`, and the entry's key
 *   is parsed instead (`Opus` → `anthropic/claude-opus-4-6`).
 *
 * @throws UsageError `SAFETYNET_USAGE` for an empty ref, an empty provider or model part, or a name
 *   that is no alias (the message names the ref and how to fix it).
 */
export function parseModelRef(ref: string, config: ResolvedConfig): ModelRef {
  const text = ref.trim();
  if (text === '') throw new UsageError('Empty model ref: pass --model <provider>/<model>, e.g. claude-cli/opus-4.6');
  if (text.includes('/')) {
    const parsed = splitModelRef(text);
    if (parsed === undefined)
      throw new UsageError(`Invalid model ref "${ref}": expected <provider>/<model> with both parts non-empty, e.g. claude-cli/opus-4.6`);
    return parsed;
  }
  const lower = text.toLowerCase();
  for (const [key, entry] of Object.entries(config.allowlist ?? {})) {
    if (typeof entry.alias === 'string' && entry.alias.trim().toLowerCase() === lower) {
      const parsed = splitModelRef(key.trim());
      if (parsed === undefined)
        throw new UsageError(
          `Model alias "${ref}" points to "${key}", which is not a <provider>/<model> ref: fix agents.defaults.models in ${whereConfigured(config)}`,
        );
      return parsed;
    }
  }
  throw new UsageError(
    `Unknown model "${ref}": use <provider>/<model> (e.g. claude-cli/${text} or codex-cli/${text}), ` +
      `or define it as an alias in agents.defaults.models of ${whereConfigured(config)}`,
  );
}

/** The allowlist keys, normalized like refs (provider lower-cased); `undefined` when there is no allowlist. */
function allowedRefs(config: ResolvedConfig): Set<string> | undefined {
  if (config.allowlist === undefined) return undefined;
  const allowed = new Set<string>();
  for (const key of Object.keys(config.allowlist)) {
    const parsed = splitModelRef(key.trim());
    if (parsed !== undefined) allowed.add(parsed.ref);
  }
  return allowed;
}

/**
 * The candidates of one request, in order: the requested model (or, without one, the configured
 * primary), then `agents.defaults.model.fallbacks`; deduplicated by `provider/model` (first wins).
 *
 * Allowlist (`agents.defaults.models` present): a requested ref must be one of its keys (provider
 * compared case-insensitively) or the configured primary; a fallback that is not a key is not tried
 * but reported in `skipped` with `why: "not in agents.defaults.models allowlist"`. A fallback that
 * cannot be parsed (an unknown alias) is reported in `skipped` too.
 *
 * @param requested The `--model` value, a ref or an alias; `undefined` uses the configured primary.
 * @throws UsageError `SAFETYNET_USAGE` when there is no requested model and no primary, or the
 *   requested ref is invalid; `SAFETYNET_MODEL_NOT_ALLOWED` when the requested ref is not in the
 *   allowlist (the message names the ref and the config file).
 */
export function resolveCandidates(config: ResolvedConfig, requested?: string): CandidateList {
  const wanted = requested !== undefined && requested.trim() !== '' ? requested : config.primary;
  if (wanted === undefined) {
    throw new UsageError(`No model: pass --model <provider>/<model> or set agents.defaults.model.primary in ${whereConfigured(config)}`);
  }
  const allowed = allowedRefs(config);
  const first = parseModelRef(wanted, config);
  if (allowed !== undefined && !allowed.has(first.ref)) {
    const primary = config.primary === undefined ? undefined : tryParse(config.primary, config);
    if (primary?.ref !== first.ref) {
      throw new UsageError(
        `Model "${wanted}" is not allowed: ${first.ref} is not in the agents.defaults.models allowlist of ${whereConfigured(config)}; ` +
          `add "${first.ref}": {} there or pick an allowed model`,
        { code: 'SAFETYNET_MODEL_NOT_ALLOWED' },
      );
    }
  }

  const candidates: ModelRef[] = [first];
  const skipped: SkippedCandidate[] = [];
  const seen = new Set([first.ref]);
  for (const ref of config.fallbacks) {
    let parsed: ModelRef;
    try {
      parsed = parseModelRef(ref, config);
    } catch (error) {
      skipped.push({ ref, why: error instanceof Error ? error.message : String(error), before: candidates.length });
      continue;
    }
    if (seen.has(parsed.ref)) continue;
    seen.add(parsed.ref);
    if (allowed !== undefined && !allowed.has(parsed.ref)) {
      skipped.push({ ref, why: 'not in agents.defaults.models allowlist', before: candidates.length });
      continue;
    }
    candidates.push(parsed);
  }
  return { candidates, skipped };
}

function tryParse(ref: string, config: ResolvedConfig): ModelRef | undefined {
  try {
    return parseModelRef(ref, config);
  } catch {
    return undefined;
  }
}
