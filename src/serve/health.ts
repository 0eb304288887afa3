/**
 * `GET /healthz` (the process is up) and `GET /readyz` (the state store answers and at least
 * one candidate can run), for load balancers and orchestrators.
 */
import { resolveCandidates } from '../config/index.js';
import type { Runtime } from '../runtime/runtime.js';
import { isServed } from './models.js';

/** The answer of `/readyz`: 200 `{ status: 'ready', candidates }` or 503 `{ status: 'not_ready', reason }`. */
export interface Readiness {
  status: 200 | 503;
  body: { status: 'ready'; candidates: number } | { status: 'not_ready'; reason: string };
}

/**
 * Check readiness: the state store answers a check (`runtime.storeHealth()`: the LevelDB folder can
 * be read, or Redis answers `PING`), and the default
 * candidates (primary, then fallbacks) include at least one whose CLI backend or API provider is configured.
 */
export async function readiness(runtime: Runtime): Promise<Readiness> {
  const notReady = (reason: string): Readiness => ({ status: 503, body: { status: 'not_ready', reason } });
  const health = await runtime.storeHealth();
  if (!health.ok) return notReady(`the state store (${health.kind} at ${health.location}) cannot be used: ${health.error ?? 'no answer'}`);
  const { config } = runtime;
  let refs: ReturnType<typeof resolveCandidates>;
  try {
    refs = resolveCandidates(config);
  } catch (error) {
    return notReady(error instanceof Error ? error.message : String(error));
  }
  const runnable = refs.candidates.filter((ref) => isServed(config, ref.provider));
  if (runnable.length === 0) return notReady('no configured candidate has a CLI backend or API provider');
  return { status: 200, body: { status: 'ready', candidates: runnable.length } };
}
