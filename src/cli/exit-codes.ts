/**
 * Exit codes of the `safetynet` command and how errors map to them (the README's "Exit codes"
 * table lists the same codes; a test compares the two).
 */
import { RequestError, SafetynetError } from '../errors.js';

/**
 * 0 answered (or the command did its job), 1 every candidate failed (or the store failed, or doctor
 * found a candidate that cannot run), 2 bad usage or config (also a request whose every failed
 * attempt is a config problem), 130 interrupted.
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/**
 * True for a request that failed only on config problems: at least one attempt failed, and every
 * failed (or skipped) attempt has reason `config` (command not found, root refusal, an API
 * provider that needs a base URL, …). Nothing a retry would fix: the user must change the config.
 */
export function failedOnConfigOnly(error: RequestError): boolean {
  const failed = error.attempts.filter((attempt) => !attempt.ok);
  return error.code === 'SAFETYNET_ALL_CANDIDATES_FAILED' && failed.length > 0 && failed.every((attempt) => attempt.reason === 'config');
}

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (!SafetynetError.is(error)) return EXIT.failed;
  if (error instanceof RequestError && failedOnConfigOnly(error)) return EXIT.usage;
  switch (error.code) {
    case 'SAFETYNET_USAGE':
    case 'SAFETYNET_MODEL_NOT_ALLOWED':
    case 'SAFETYNET_IMAGE_INVALID':
    case 'SAFETYNET_CONFIG_NOT_FOUND':
    case 'SAFETYNET_CONFIG_SYNTAX':
    case 'SAFETYNET_CONFIG_INVALID':
      return EXIT.usage;
    case 'SAFETYNET_ABORTED':
      return EXIT.interrupted;
    default:
      return EXIT.failed;
  }
}

/** One diagnostic block for stderr: `safetynet: <message> [CODE]`. */
export function describeError(error: unknown): string {
  if (SafetynetError.is(error)) return `safetynet: ${error.message} [${error.code}]`;
  return `safetynet: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`;
}

/** A command failed: print its diagnostic block on stderr and give its exit code. */
export function reportFailure(error: unknown, io: { stderr(text: string): void }): number {
  io.stderr(`${describeError(error)}\n`);
  return exitCodeFor(error);
}
