/**
 * Which models the server offers: `GET /v1/models` (OpenAI list shape) and the check that a
 * request's `model` is one safetynet can serve (404 in the client's format otherwise).
 */
import { resolveCandidates } from '../config/index.js';
import type { ResolvedConfig } from '../config/types.js';
import { SafetynetError } from '../errors.js';
import type { HttpProblem } from './status.js';

/**
 * The model ids a client may ask for: the primary, the fallbacks, the allowlist's refs and their
 * aliases; in that order, each once.
 */
export function offeredModels(config: ResolvedConfig): string[] {
  const ids = [config.primary, ...config.fallbacks, ...Object.keys(config.allowlist ?? {})];
  for (const entry of Object.values(config.allowlist ?? {})) if (typeof entry.alias === 'string') ids.push(entry.alias.trim());
  return [...new Set(ids.filter((id): id is string => id !== undefined && id !== ''))];
}

/** The `GET /v1/models` body: `{ object: 'list', data: [{ id, object: 'model', created, owned_by }] }`. */
export function modelList(config: ResolvedConfig): { object: 'list'; data: Array<Record<string, unknown>> } {
  return {
    object: 'list',
    data: offeredModels(config).map((id) => ({
      id,
      object: 'model',
      created: 0,
      owned_by: id.includes('/') ? id.split('/')[0] : 'safetynet',
    })),
  };
}

/**
 * `undefined` when `model` resolves (a ref or alias, allowed by the allowlist, its provider a
 * configured CLI backend or API provider); otherwise the 404 `model_not_found` problem. Reads error
 * codes only (any usage error of the model ref is "this model is not served here").
 */
export function modelProblem(config: ResolvedConfig, model: string): HttpProblem | undefined {
  let provider: string;
  try {
    const first = resolveCandidates(config, model).candidates[0];
    if (first === undefined) throw new Error('no candidate');
    provider = first.provider;
  } catch (error) {
    const message = SafetynetError.is(error) ? error.message : `model "${model}" is not served here`;
    return { status: 404, kind: 'not_found', message, param: 'model', code: 'model_not_found' };
  }
  if (isServed(config, provider)) return undefined;
  return {
    status: 404,
    kind: 'not_found',
    message: `model "${model}": no CLI backend or API provider "${provider}" is configured (GET /v1/models lists the models served here)`,
    param: 'model',
    code: 'model_not_found',
  };
}

/** Whether a provider id is a configured CLI backend or API provider. */
export function isServed(config: ResolvedConfig, provider: string): boolean {
  return Object.hasOwn(config.backends, provider) || Object.hasOwn(config.providers, provider);
}
