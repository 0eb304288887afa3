/**
 * Where the LevelDB state lives when nothing else is configured.
 */
import os from 'node:os';
import path from 'node:path';

/**
 * The default LevelDB folder: `<SAFETYNET_HOME>/state`, where `SAFETYNET_HOME` defaults to
 * `~/.safetynet`. A leading `~` in `SAFETYNET_HOME` is expanded to the home folder (`HOME` of `env`,
 * else `os.homedir()`); a relative value is resolved against the current working directory.
 *
 * @param env The environment to read (`SAFETYNET_HOME`, `HOME`). Default: `process.env`.
 * @returns An absolute path.
 */
export function defaultStoreLocation(env: NodeJS.ProcessEnv = process.env): string {
  const home = env['HOME'] !== undefined && env['HOME'] !== '' ? env['HOME'] : os.homedir();
  const configured = env['SAFETYNET_HOME'];
  let base: string;
  if (configured === undefined || configured.trim() === '') base = path.join(home, '.safetynet');
  else if (configured === '~' || configured.startsWith('~/')) base = path.join(home, configured.slice(1));
  else base = configured;
  return path.resolve(base, 'state');
}
