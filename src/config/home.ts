/**
 * The user's home folder and the safetynet home folder (`SAFETYNET_HOME`, default `~/.safetynet`),
 * which holds `config.json5` and the LevelDB state (`<home>/state`, see `store/state-folder.ts`).
 */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Environment variables read here (a subset of `process.env`). */
type HomeEnv = Readonly<Record<string, string | undefined>>;

/** True for a set, non-blank value: a path setting (`SAFETYNET_HOME`, `HOME`, `--config`) that is blank counts as unset. */
export function nonBlank(value: string | undefined): value is string {
  return value !== undefined && value.trim() !== '';
}

/**
 * The user's home folder: `$HOME` when set and non-empty, else `os.homedir()`.
 *
 * @param env The environment to read (`HOME`). Default: `process.env`.
 */
export function userHome(env: HomeEnv = process.env): string {
  const home = env['HOME'];
  return nonBlank(home) ? home : homedir();
}

/**
 * Expands a leading `~` or `~/` to {@link userHome} (a quoted value in a shell or service file is
 * not expanded by the shell); any other path is returned unchanged.
 */
export function expandHome(path: string, env: HomeEnv = process.env): string {
  if (path === '~') return userHome(env);
  if (path.startsWith('~/')) return join(userHome(env), path.slice(2));
  return path;
}

/**
 * The safetynet home folder (absolute): `$SAFETYNET_HOME` when set and non-empty (a leading `~`
 * expanded, a relative path resolved against the current working directory), else `~/.safetynet`.
 * Holds `config.json5` and the LevelDB state.
 *
 * @param env The environment to read (`SAFETYNET_HOME`, `HOME`). Default: `process.env`.
 */
export function safetynetHome(env: HomeEnv = process.env): string {
  const configured = env['SAFETYNET_HOME'];
  if (nonBlank(configured)) return resolve(expandHome(configured, env));
  return join(userHome(env), '.safetynet');
}
