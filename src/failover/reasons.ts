/**
 * The per-reason facts of the failure taxonomy, in one table keyed by {@link FailureReason} (the
 * reasons themselves are the error vocabulary of `errors.ts`; how a failure gets its reason is
 * `classify.ts`). Every rule that depends on "which reason is it" reads this table:
 *
 * - `transient`: a retry may heal it. The CLI watch (`actors/cli/watch.ts`) keeps waiting while a
 *   CLI retries a transient failure, and gives up at once on any other.
 * - `ladder`: the cooldown ladder it steps (`cooldown-policy.ts` holds the steps and scopes); none
 *   means it never cools down. `unknown` cools only when the provider sent a Retry-After.
 * - `advice`: what the user should do, shown next to a failed attempt (`advice.ts`).
 * - `waitFor`: for reasons whose fix is to wait, the words that say so when the provider gave a
 *   Retry-After (`rate-limited: retry after 30 s`).
 */
import type { FailureReason } from '../errors.js';

/** Name of a cooldown ladder; its steps and scope are `COOLDOWN_LADDERS` in `cooldown-policy.ts`. */
export type CooldownLadderName = 'transient' | 'modelNotFound' | 'auth' | 'billing';

/** What safetynet knows about one failure reason. */
export interface ReasonFacts {
  /** True when a retry failing for this reason may still succeed (rate limits, overload, 5xx, network). */
  readonly transient: boolean;
  /** The cooldown ladder of this reason; `undefined` when it never cools down (see `cooldown-policy.ts`). */
  readonly ladder: CooldownLadderName | undefined;
  /** One short line: what to do about it. */
  readonly advice: string;
  /** Set for reasons whose fix is to wait: the words before `: retry after <n> s` when a Retry-After was given. */
  readonly waitFor?: string;
}

/** The facts of every failure reason. Frozen. */
export const REASON_FACTS: Readonly<Record<FailureReason, ReasonFacts>> = Object.freeze({
  auth: {
    transient: false,
    ladder: 'auth',
    advice: 'check the API key, or log the CLI in (claude: run `claude` then /login; codex: `codex login`)',
  },
  billing: { transient: false, ladder: 'billing', advice: 'the account is out of credits or quota: top it up or use another provider' },
  rate_limit: { transient: true, ladder: 'transient', advice: 'rate-limited: retry later', waitFor: 'rate-limited' },
  overloaded: {
    transient: true,
    ladder: 'transient',
    advice: 'the provider is overloaded: retry in a moment',
    waitFor: 'the provider is overloaded',
  },
  server_error: { transient: true, ladder: 'transient', advice: 'the provider failed: retry later' },
  timeout: { transient: true, ladder: 'transient', advice: 'no answer in time: retry, or raise agents.defaults.timeoutSeconds' },
  transport: { transient: true, ladder: 'transient', advice: 'the endpoint could not be reached: check the network and the base URL' },
  model_not_found: {
    transient: false,
    ladder: 'modelNotFound',
    advice: "unknown model: check the model ref or the backend's modelAliases",
  },
  context_overflow: {
    transient: false,
    ladder: undefined,
    advice: "the prompt does not fit the model's context window: shorten it or reset the session",
  },
  session_expired: {
    transient: false,
    ladder: undefined,
    advice: 'the stored CLI session was not found: run `safetynet sessions reset <key>`',
  },
  config: { transient: false, ladder: undefined, advice: 'fix the configuration as the detail says' },
  // Our own load, not the provider's health: no ladder, so other requests keep using the backend.
  queue_full: {
    transient: true,
    ladder: undefined,
    advice: "too many turns wait for this CLI backend: retry shortly, or raise the backend's maxConcurrent or maxQueue",
  },
  aborted: { transient: false, ladder: undefined, advice: 'the request was aborted' },
  unknown: { transient: true, ladder: undefined, advice: 'see the detail; run with --json for the full attempt log' },
} satisfies Record<FailureReason, ReasonFacts>);

/** True when a retry failing for `reason` may still succeed (rate limits, overload, 5xx, network, unknown). */
export function isTransientReason(reason: FailureReason): boolean {
  return REASON_FACTS[reason].transient;
}
