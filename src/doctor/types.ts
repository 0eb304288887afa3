/**
 * The result shapes of `safetynet doctor`: checks as data, printed by `src/cli/doctor.ts`.
 */

/**
 * What a check looked at:
 * - `command`: the CLI command is found and executable (with its `--version`);
 * - `root`: Claude's refusal of `--dangerously-skip-permissions` as root (fixed by `IS_SANDBOX=1`);
 * - `login`: the CLI looks logged in, or has its API key in its environment;
 * - `api-key`: an API provider has a key;
 * - `provider`: the candidate's provider exists and is usable (and the allowlist lets it run);
 * - `store`: the state folder is writable and not locked by another process;
 * - `cooldown`: the candidate (or another key) cools down after a failure, until a given time.
 */
export type DoctorCheckName = 'command' | 'root' | 'login' | 'api-key' | 'provider' | 'store' | 'cooldown';

/** One check. */
export interface DoctorCheck {
  /** The candidate's ref (`claude-cli/opus-4.6`), or `state` for the state folder. */
  candidate: string;
  check: DoctorCheckName;
  /** True when nothing is wrong. */
  ok: boolean;
  /**
   * Set when `ok` is false: `error` (the candidate cannot run; `doctor` exits 1) or `warning` (it
   * runs, but look at this: an unknown `--version`, a cooldown, a provider sending no key).
   */
  level?: 'error' | 'warning';
  /** What was found (a path, a version, where the login was seen). */
  detail?: string;
  /** What is wrong, one line. */
  problem?: string;
  /** What to do about it, one line. */
  fix?: string;
}

/** The whole report. */
export interface DoctorReport {
  /** True when no check is an `error`: every candidate can run. */
  ok: boolean;
  /** The config file, `<inline>`, or `null` (built-in defaults). */
  config: string | null;
  /** The LevelDB state folder. */
  storeLocation: string;
  /** The candidates checked, in order (configured primary and fallbacks, or the built-in backends). */
  candidates: string[];
  checks: DoctorCheck[];
}

/** A candidate `doctor` checks: its ref and provider id. */
export interface DoctorCandidate {
  ref: string;
  provider: string;
  /** Set when the allowlist (or an unparseable ref) keeps it from ever being tried. */
  skipped?: string;
}
