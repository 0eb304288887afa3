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
import { dueProbeKey, returnsAt } from '../failover/half-open.js';
import { PASSTHROUGH_API } from '../actors/api/passthrough-formats.js';
import type { PassthroughFormat } from '../actors/api/types.js';

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
 * A passthrough request (`RunRequest.passthrough`) can only be served by an API candidate speaking
 * the client's protocol (`PASSTHROUGH_API`): every other candidate becomes a skipped one (reason
 * `config`) whose detail says why, so the attempt log, `x-safetynet-attempts` and the trace show
 * it. Applied before the cooldowns: a candidate that cannot serve the request claims no probe.
 */
export function forPassthrough(candidates: Candidate[], format: PassthroughFormat | undefined): Candidate[] {
  if (format === undefined) return candidates;
  const api = PASSTHROUGH_API[format];
  const needs = `a request with tools or tool messages is passed through as it is and needs an API candidate speaking ${api}`;
  return candidates.map((candidate): Candidate => {
    if (candidate.skip !== undefined || candidate.api?.api === api) return candidate;
    const detail =
      candidate.cli !== undefined
        ? `text-only CLI backend: ${needs}`
        : `API provider "${candidate.provider}" speaks ${candidate.api?.api ?? 'another protocol'}: ${needs}`;
    return { ...candidate, skip: { reason: 'config', detail } };
  });
}

/** How {@link withCooldowns} applies the cooldowns of one request. */
export interface CooldownPlanOptions {
  /** The request's time, epoch ms. */
  now: number;
  /** The half-open probe interval in ms (`safetynet.cooldowns.probeIntervalSeconds`); `0` turns probes off. */
  probeIntervalMs: number;
  /** Claims the half-open probe of a cooling key (`CooldownStore.claimProbe`); resolves true when this request won it. */
  claimProbe: (key: string, now: number) => Promise<boolean>;
}

/**
 * Mark cooling candidates as skipped, with the time until they may be tried again
 * (`skip.retryAfterMs`), and flag those with a cooldown entry so a success clears it. Two cooling
 * candidates are tried anyway and flagged `probe`: the one whose half-open probe this request
 * claims (the first cooling candidate before the first one that would be tried, whose probe is
 * due, when the claim wins; `docs/failover-policy.md#half-open-probes`), and, when every candidate
 * cools down, the one ending first (see `planCandidates`).
 *
 * @param entries cooldown entries by key (`CooldownStore.read(cooldownKeys(candidates))`).
 * @throws what `options.claimProbe` throws (a `StoreError`).
 */
export async function withCooldowns(
  candidates: Candidate[],
  entries: ReadonlyMap<string, CooldownEntry>,
  options: CooldownPlanOptions,
): Promise<Candidate[]> {
  if (entries.size === 0) return candidates;
  const { now, probeIntervalMs } = options;
  // Candidates already skipped (config: a passthrough they cannot serve, an unknown provider) keep
  // their reason and take no part in the plan: "every candidate cools down" counts the others only.
  const planned = planCandidates(
    candidates.filter((candidate) => candidate.skip === undefined),
    entries,
    now,
  );
  const probed = await claimDueProbe(planned, entries, options);
  const decided = planned.map(({ cooldown, probe: forced, ...candidate }, index): Candidate => {
    const had = entries.has(candidate.ref) || entries.has(candidate.provider) ? { hadCooldown: true } : {};
    if (forced !== undefined || index === probed) return { ...candidate, ...had, probe: true };
    if (cooldown === undefined) return { ...candidate, ...had };
    const back = returnsAt(candidate, entries, now, probeIntervalMs) ?? cooldown.until;
    const detail = `cooling down until ${new Date(cooldown.until).toISOString()} (${cooldown.key})`;
    return { ...candidate, ...had, skip: { reason: cooldown.reason, detail, retryAfterMs: Math.max(0, back - now) } };
  });
  let next = 0;
  return candidates.map((candidate) => (candidate.skip === undefined ? (decided[next++] ?? candidate) : candidate));
}

/**
 * The index of the candidate whose half-open probe this request claimed, or -1: the first cooling
 * candidate with a due probe, looked for before the first candidate that will be tried anyway (a
 * probe behind a healthy candidate would only waste the lease). One claim per request at most.
 */
async function claimDueProbe(
  planned: ReadonlyArray<Candidate & { cooldown?: unknown }>,
  entries: ReadonlyMap<string, CooldownEntry>,
  { now, probeIntervalMs, claimProbe }: CooldownPlanOptions,
): Promise<number> {
  for (const [index, candidate] of planned.entries()) {
    if (candidate.skip !== undefined) continue; // not tried at all (config)
    if (candidate.cooldown === undefined) return -1;
    const key = dueProbeKey(candidate, entries, now, probeIntervalMs);
    if (key !== undefined) return (await claimProbe(key, now)) ? index : -1;
  }
  return -1;
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
