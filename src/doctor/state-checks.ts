/**
 * The `state` checks of `safetynet doctor`: the store of `safetynet.store` can be used (a LevelDB
 * folder that is writable and not locked; a Redis that answers, with its version and round trip),
 * then the cooldowns in force, as warnings on the candidates they keep from running.
 */
import { SafetynetError } from '../errors.js';
import { adviceFor } from '../failover/advice.js';
import type { ResolvedConfig } from '../config/types.js';
import type { CooldownEntry, CooldownStorage } from '../store/index.js';
import { formatDuration } from './format.js';
import type { DoctorCandidate, DoctorCheck } from './types.js';

/** What the state checks read of `DoctorOptions`. */
interface StateCheckOptions {
  config: ResolvedConfig;
  /** The LevelDB folder (`kind: 'level'`). */
  storeLocation: string;
  /** "Now" for cooldowns, epoch ms. @default Date.now() */
  now?: number | undefined;
}

/** Round trips above this (ms) are a warning: every request makes a few store calls. */
const SLOW_REDIS_MS = 50;

/** The store check, then one check per cooldown in force. Never throws for a failed check. */
export async function checkState(candidates: DoctorCandidate[], options: StateCheckOptions): Promise<DoctorCheck[]> {
  return options.config.store.kind === 'redis' ? checkRedis(candidates, options) : checkLevel(candidates, options);
}

/** The LevelDB folder: writable and not locked (a single open attempt), then its active cooldowns. */
async function checkLevel(candidates: DoctorCandidate[], options: StateCheckOptions): Promise<DoctorCheck[]> {
  const location = options.storeLocation;
  const { CooldownStore, LevelHandle } = await import('../store/index.js'); // LevelDB is loaded only when used
  const handle = new LevelHandle(location, { budgetMs: 0 });
  try {
    await handle.useSublevel<number, void>('doctor', async (probe) => {
      await probe.put('probe', Date.now());
      await probe.del('probe');
    });
  } catch (error) {
    return [storeProblem(location, error)];
  }
  const ok: DoctorCheck = { candidate: 'state', check: 'store', ok: true, detail: `${location} is writable and not locked` };
  try {
    return [ok, ...(await cooldownChecks(new CooldownStore({ handle }), candidates, options))];
  } catch (error) {
    return [ok, storeProblem(location, error)];
  } finally {
    await handle.close();
  }
}

/** Redis: answers `PING` (version, round trip), then its active cooldowns. */
async function checkRedis(candidates: DoctorCandidate[], options: StateCheckOptions): Promise<DoctorCheck[]> {
  const { openStateStores } = await import('../store/state-stores.js');
  const { config } = options;
  const stores = await openStateStores({
    settings: config.store,
    location: options.storeLocation,
    idleCloseMs: 0,
    bounds: config.sessions,
    traces: config.traces,
  });
  try {
    const health = await stores.health();
    if (!health.ok) {
      return [
        {
          candidate: 'state',
          check: 'store',
          ok: false,
          level: 'error',
          problem: health.error ?? `Redis at ${health.location} does not answer`,
          fix: 'start redis-server or fix safetynet.store.url / SAFETYNET_REDIS_URL; safetynet reconnects by itself once it answers',
        },
      ];
    }
    const detail = `Redis ${health.version ?? '?'} at ${health.location} answers PING in ${health.latencyMs ?? '?'} ms (keys under "${config.store.keyPrefix}", host id "${config.store.hostId}")`;
    const slow = (health.latencyMs ?? 0) > SLOW_REDIS_MS;
    const check: DoctorCheck = slow
      ? {
          candidate: 'state',
          check: 'store',
          ok: false,
          level: 'warning',
          detail,
          problem: `slow round trip (over ${SLOW_REDIS_MS} ms)`,
          fix: 'put Redis closer to the replicas',
        }
      : { candidate: 'state', check: 'store', ok: true, detail };
    try {
      return [check, ...(await cooldownChecks(stores.cooldowns, candidates, options))];
    } catch (error) {
      return [check, storeProblem(health.location, error)];
    }
  } finally {
    await stores.close();
  }
}

/** One warning per cooldown in force, on each candidate it affects (or on `state` when none). */
async function cooldownChecks(
  store: Pick<CooldownStorage, 'list'>,
  candidates: DoctorCandidate[],
  options: StateCheckOptions,
): Promise<DoctorCheck[]> {
  const now = options.now ?? Date.now();
  const entries: CooldownEntry[] = await store.list(now);
  const checks: DoctorCheck[] = [];
  for (const entry of entries.filter((e) => e.until > now)) {
    const affected = candidates.filter((candidate) =>
      entry.scope === 'model' ? candidate.ref === entry.key : candidate.provider === entry.key,
    );
    const problem =
      `${entry.key} cools down after ${entry.reason} (${entry.failures} failure${entry.failures === 1 ? '' : 's'}) ` +
      `until ${new Date(entry.until).toISOString()} (in ${formatDuration(entry.until - now)}); it is skipped until then`;
    const check = { check: 'cooldown' as const, ok: false, level: 'warning' as const, problem, fix: adviceFor(entry.reason) };
    if (affected.length === 0) checks.push({ candidate: 'state', ...check });
    for (const candidate of affected) checks.push({ candidate: candidate.ref, ...check });
  }
  return checks;
}

function storeProblem(location: string, error: unknown): DoctorCheck {
  const message = error instanceof Error ? error.message : String(error);
  if (SafetynetError.is(error) && error.code === 'SAFETYNET_STORE_LOCKED') {
    return {
      candidate: 'state',
      check: 'store',
      ok: false,
      level: 'error',
      problem: `${location} is locked by another process`,
      fix: 'wait for the other safetynet process to finish (or stop it), or point SAFETYNET_HOME elsewhere',
    };
  }
  // The store's message ends with its fix when it knows it (`…; fix: run \`safetynet doctor --repair\`…`).
  const [problem = message, fix] = message.split('; fix: ');
  return {
    candidate: 'state',
    check: 'store',
    ok: false,
    level: 'error',
    problem,
    fix: fix ?? `check the permissions and free space of ${location}, or point SAFETYNET_HOME elsewhere`,
  };
}
