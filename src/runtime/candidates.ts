/**
 * From the resolved model refs to the machine's candidates: each ref gets the CLI backend or API
 * provider that serves it, cooling candidates get a skip mark, and candidates that the allowlist
 * excludes keep their place in the configured order as skipped ones.
 */
import { API_KINDS, splitModelRef, type CandidateList, type SkippedCandidate } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { Candidate } from '../machines/types.js';
import type { CooldownEntry } from '../store/index.js';
import { planCandidates } from '../failover/cooldown-policy.js';

/**
 * Attach the serving CLI backend or API provider to each tried ref.
 *
 * @throws {UsageError} when the first ref (the requested model or the primary) names a provider
 *   that nothing serves; a later one is a skipped candidate (reason `config`) instead.
 */
export function withProviders(refs: CandidateList, config: ResolvedConfig): Candidate[] {
  return refs.candidates.map((ref, index): Candidate => {
    const cli = config.backends[ref.provider];
    if (cli !== undefined) return { ...ref, cli };
    const api = config.providers[ref.provider];
    if (api !== undefined) return { ...ref, api };
    const problem = unknownProvider(ref.ref, ref.provider, config);
    if (index === 0) throw problem;
    return { ...ref, skip: { reason: 'config', detail: problem.message } };
  });
}

/**
 * Mark cooling candidates as skipped (when every candidate cools down, the one ending first is
 * still tried: see `planCandidates`), and flag those with a cooldown entry so a success clears it.
 *
 * @param entries cooldown entries by key (`CooldownStore.read(cooldownKeys(candidates))`).
 * @param now epoch ms.
 */
export function withCooldowns(candidates: Candidate[], entries: ReadonlyMap<string, CooldownEntry>, now: number): Candidate[] {
  if (entries.size === 0) return candidates;
  return planCandidates(candidates, entries, now).map(({ cooldown, probe: _probe, ...candidate }) => ({
    ...candidate,
    ...(entries.has(candidate.ref) || entries.has(candidate.provider) ? { hadCooldown: true } : {}),
    ...(cooldown === undefined
      ? {}
      : { skip: { reason: cooldown.reason, detail: `cooling down until ${new Date(cooldown.until).toISOString()} (${cooldown.key})` } }),
  }));
}

/** Put the refs that are not tried (allowlist, unparseable) back in their configured place. */
export function inConfiguredOrder(candidates: Candidate[], skipped: readonly SkippedCandidate[]): Candidate[] {
  if (skipped.length === 0) return candidates;
  const ordered: Candidate[] = [];
  candidates.forEach((candidate, index) => {
    for (const entry of skipped) if (entry.before === index) ordered.push(notTried(entry));
    ordered.push(candidate);
  });
  for (const entry of skipped) if (entry.before >= candidates.length) ordered.push(notTried(entry));
  return ordered;
}

/** A model ref whose provider nothing serves (or whose provider speaks an unsupported api). */
function unknownProvider(ref: string, provider: string, config: ResolvedConfig): UsageError {
  const api = config.unsupportedProviders[provider];
  if (api !== undefined) {
    return new UsageError(
      `provider "${provider}" of model ref "${ref}" uses api "${api}", which safetynet does not speak ` +
        `(it speaks ${API_KINDS.join(', ')})`,
    );
  }
  const known = [...Object.keys(config.backends), ...Object.keys(config.providers)].sort().join(', ');
  return new UsageError(
    `unknown provider "${provider}" in model ref "${ref}": ` +
      `add it under agents.defaults.cliBackends (a CLI) or models.providers (an API), or use one of: ${known}`,
  );
}

/** A configured ref that is not tried. */
function notTried(skipped: SkippedCandidate): Candidate {
  const parsed = splitModelRef(skipped.ref);
  return {
    ref: skipped.ref,
    provider: parsed?.provider ?? '',
    model: parsed?.model ?? skipped.ref,
    skip: { reason: 'config', detail: skipped.why },
  };
}
