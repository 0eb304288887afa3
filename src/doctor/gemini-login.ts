/**
 * `safetynet doctor`'s login heuristic for the Gemini CLI (`gemini-cli`): gemini 0.61 needs an auth
 * method before it sends anything, chosen by environment (`GEMINI_API_KEY`, `GOOGLE_GENAI_USE_VERTEXAI`,
 * `GOOGLE_GENAI_USE_GCA`) or by `security.auth.selectedType` in `~/.gemini/settings.json`; without one
 * it exits 41 (`Please set an Auth method in your <home>/.gemini/settings.json or specify one of the
 * following environment variables before running: …`, fixture `gemini/no-credentials`). With
 * `GOOGLE_GEMINI_BASE_URL` set, an environment key alone is not enough: it exits 41 `Invalid auth
 * method selected.` unless `selectedType` is set (fixture `gemini/settings-without-auth-type`).
 * A heuristic: messages say "looks".
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { isRecord } from '../config/json-record.js';
import type { DoctorCheck } from './types.js';

type Result = Omit<DoctorCheck, 'candidate'>;

/** The environment variables that select an auth method of gemini 0.61 on their own. */
export const GEMINI_AUTH_ENV: readonly string[] = ['GEMINI_API_KEY', 'GOOGLE_GENAI_USE_VERTEXAI', 'GOOGLE_GENAI_USE_GCA'];

/** `security.auth.selectedType` of a gemini settings file, or `undefined` (no file, bad JSON, not set). */
async function selectedType(settingsPath: string): Promise<string | undefined> {
  try {
    const value: unknown = JSON.parse(await readFile(settingsPath, 'utf8'));
    const auth = isRecord(value) && isRecord(value.security) ? value.security.auth : undefined;
    const type = isRecord(auth) ? auth.selectedType : undefined;
    return typeof type === 'string' && type.trim() !== '' ? type : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Does gemini look logged in for the child environment `env` (whose HOME is `home`)?
 *
 * @param key - the backend's config key (`agents.defaults.cliBackends.<id>`), named in fixes.
 */
export async function geminiLoginCheck(env: Record<string, string>, home: string, key: string): Promise<Result> {
  const settings = join(home, '.gemini', 'settings.json');
  const type = await selectedType(settings);
  const baseUrl = env['GOOGLE_GEMINI_BASE_URL'] ?? '';
  if (type === undefined && baseUrl !== '') {
    return {
      check: 'login',
      ok: false,
      level: 'error',
      problem: `gemini will refuse to start ("Invalid auth method selected."): GOOGLE_GEMINI_BASE_URL is set and ${settings} has no security.auth.selectedType`,
      fix: `set security.auth.selectedType (e.g. "gemini-api-key") in ${settings}`,
    };
  }
  if (type === 'oauth-personal') {
    const creds = join(home, '.gemini', 'oauth_creds.json');
    const found = await stat(creds).then(
      (info) => info.isFile(),
      () => false,
    );
    if (found) return { check: 'login', ok: true, detail: `looks logged in: selectedType oauth-personal in ${settings}, ${creds}` };
    return {
      check: 'login',
      ok: false,
      level: 'error',
      problem: `gemini does not look logged in: ${settings} selects oauth-personal but ${creds} does not exist`,
      fix: `run "gemini" and log in with Google as the user safetynet runs as (HOME=${home}), or set ${key}.env.GEMINI_API_KEY`,
    };
  }
  if (type !== undefined) return { check: 'login', ok: true, detail: `looks logged in: selectedType ${type} in ${settings}` };
  const set = GEMINI_AUTH_ENV.find((name) => (env[name] ?? '') !== '');
  if (set !== undefined) return { check: 'login', ok: true, detail: `looks logged in: ${set} is set in its environment` };
  return {
    check: 'login',
    ok: false,
    level: 'error',
    problem: `gemini does not look logged in: no ${GEMINI_AUTH_ENV.join('/')} in its environment, no security.auth.selectedType in ${settings}`,
    fix: `run "gemini" once and choose how to log in as the user safetynet runs as (HOME=${home}), or set ${key}.env.GEMINI_API_KEY`,
  };
}
