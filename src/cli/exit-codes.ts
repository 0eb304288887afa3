/**
 * Exit codes of the `safetynet` command and how errors map to them.
 */
import { SafetynetError } from '../errors.js';

/** 0 answered, 1 every candidate failed (or the store failed), 2 bad usage or config, 130 interrupted. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The exit code for an error thrown by a command. */
export function exitCodeFor(error: unknown): number {
  if (!SafetynetError.is(error)) return EXIT.failed;
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
