/**
 * The runtime's side of its state stores: the stores of `safetynet.store` opened on first use, the
 * cooldown reads of requests (coalesced, failing open when the store is sick, `StoreOutage`), the
 * writes that run off the request's path (traces, cooldowns) and what `/metrics`, `/readyz` and
 * `safetynet doctor` read. Rationale: `docs/replicas.md#when-redis-is-down`,
 * `docs/sessions.md#a-sick-state-folder`.
 */
import { existsSync } from 'node:fs';
import type { ResolvedConfig } from '../config/types.js';
import { cooldownKeys } from '../failover/cooldown-policy.js';
import type { Candidate } from '../machines/types.js';
import type { CooldownEntry } from '../store/index.js';
import { noCooldownsStored } from '../store/cooldown-marker.js';
import { withLockDeadline } from '../store/lock-deadline.js';
import { journalTraces } from '../store/trace-journal.js';
import type { RequestTrace } from '../store/trace-types.js';
import type { CooldownStorage, SessionStorage, StateStores, StoreHealth, TraceStorage } from '../store/ports.js';
import { BackgroundWrites } from './background-writes.js';
import { withCooldowns } from './candidates.js';
import { CooldownReader } from './cooldown-reader.js';
import { StoreOutage } from './store-outage.js';

/**
 * The longest wait (ms) for a state folder locked by another process in a store call a request can
 * do without: a one-shot request's cooldown read or probe claim (which then fails open), a trace or
 * cooldown write (which then warns). The calls a request with a session key makes before its turn
 * (cooldowns, its transcript and CLI sessions) wait until its deadline.
 */
export const OPTIONAL_LOCK_WAIT_MS = 2000;

/** Resolves in the event loop's check phase: after the promise reactions of the current turn (the answer's consumers) ran. */
function afterAnswer(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Options of {@link RuntimeState}. */
export interface RuntimeStateOptions {
  config: Pick<ResolvedConfig, 'store' | 'sessions' | 'traces' | 'cooldowns'>;
  /** The LevelDB folder (`safetynet.store.kind: 'level'`). */
  storeLocation: string;
  /** How long (ms) the LevelDB folder stays open after its last use. */
  idleCloseMs: number;
  /** The clock of cooldowns and probes, epoch ms. */
  now: () => number;
  /** Receives the warnings (store outages, failed background writes, lost lane locks). */
  warn: (message: string) => void;
}

/** The state stores of one runtime, and the rules of reading and writing them around requests. */
export class RuntimeState {
  readonly #options: RuntimeStateOptions;
  #stores: Promise<StateStores> | undefined;
  /** Whether the state can hold anything yet: a LevelDB folder that exists, or any shared store. */
  #stateSeen: boolean;
  /** Cooldown reads that failed open, and the warnings of one outage given once. */
  readonly #outage: StoreOutage;
  /** Trace writes, off the request's path. */
  readonly #traceWrites: BackgroundWrites;
  /** Cooldown writes, off the failover path; the next request's cooldown read waits for them. */
  readonly #cooldownWrites: BackgroundWrites;
  /** Cooldown reads of concurrent requests, coalesced and in request order. */
  readonly #cooldownReader = new CooldownReader(async () => {
    const { cooldowns } = await this.open();
    return (keys, now) => this.#outage.read(() => cooldowns.read(keys, now), new Map());
  });

  constructor(options: RuntimeStateOptions) {
    this.#options = options;
    this.#stateSeen = options.config.store.kind !== 'level';
    this.#outage = new StoreOutage(options.warn);
    const failed = (what: string, error: unknown) => this.#outage.failed(what, error);
    this.#traceWrites = new BackgroundWrites(failed);
    this.#cooldownWrites = new BackgroundWrites(failed);
  }

  /** The state stores of `safetynet.store` (a LevelDB folder, or Redis), loaded on first use. */
  open(): Promise<StateStores> {
    this.#stores ??= import('../store/state-stores.js').then(({ openStateStores }) => {
      const { config, storeLocation, idleCloseMs, warn } = this.#options;
      const { maxTurns, maxChars } = config.sessions;
      return openStateStores({
        settings: config.store,
        location: storeLocation,
        idleCloseMs,
        bounds: { maxTurns, maxChars },
        traces: config.traces,
        onWarning: warn,
      });
    });
    return this.#stores;
  }

  /** The session store, opened on first use. */
  async sessions(): Promise<SessionStorage> {
    return (await this.open()).sessions;
  }

  /** The trace store, opened on first use. */
  async traces(): Promise<TraceStorage> {
    return (await this.open()).traces;
  }

  /**
   * Attach their cooldown state to `candidates`: read at every request (other processes, replicas
   * and restarts are respected; fails open when the store is sick), after the cooldown writes still
   * running; a due half-open probe is claimed in the store (`docs/failover-policy.md#half-open-probes`).
   * A LevelDB folder that does not exist yet, or is marked as holding none, is not opened. A one-shot request waits
   * at most {@link OPTIONAL_LOCK_WAIT_MS} for a locked folder, then routes without cooldowns; a
   * `keyed` request, which needs its transcript next anyway, waits until its deadline.
   */
  withCooldowns(candidates: Candidate[], keyed: boolean): Promise<Candidate[]> {
    return withLockDeadline(keyed ? Number.POSITIVE_INFINITY : OPTIONAL_LOCK_WAIT_MS, () => this.#withCooldowns(candidates));
  }

  async #withCooldowns(candidates: Candidate[]): Promise<Candidate[]> {
    await this.#cooldownWrites.settled();
    if (!this.#mayHoldCooldowns()) return candidates;
    const now = this.#options.now();
    const { probeIntervalMs } = this.#options.config.cooldowns;
    const claimProbe = async (key: string, at: number) => {
      const { cooldowns } = await this.open();
      return this.#outage.read(() => cooldowns.claimProbe({ key, now: at, probeIntervalMs }), false);
    };
    const entries = await this.#cooldownReader.read(cooldownKeys(candidates), now);
    return withCooldowns(candidates, entries, { now, probeIntervalMs, claimProbe });
  }

  /**
   * The cooldowns in force now (`until` later than now), sorted by key; a LevelDB folder that does
   * not exist yet (or is marked as holding none) is not opened or created.
   * @throws {StoreError} when the store cannot be read.
   */
  async activeCooldowns(): Promise<CooldownEntry[]> {
    if (!this.#mayHoldCooldowns()) return [];
    const now = this.#options.now();
    return (await (await this.open()).cooldowns.list(now)).filter((entry) => entry.until > now);
  }

  /**
   * The cooldown store after the cooldown writes still running, or `undefined` while a LevelDB
   * folder does not exist yet (it holds none, and is not created).
   */
  async cooldownStorage(): Promise<CooldownStorage | undefined> {
    await this.#cooldownWrites.settled();
    return this.#stateExists() ? (await this.open()).cooldowns : undefined;
  }

  /**
   * False when the state cannot hold a cooldown, so that it is not opened for reading them: a LevelDB
   * folder that does not exist yet, or one the cooldown store marked as holding none
   * (`store/cooldown-marker.ts`; another process that stores a cooldown removes the mark first).
   */
  #mayHoldCooldowns(): boolean {
    if (!this.#stateExists()) return false;
    return this.#options.config.store.kind !== 'level' || !noCooldownsStored(this.#options.storeLocation);
  }

  /** True once the state exists: always for Redis; for LevelDB once its folder does (checked until it does). */
  #stateExists(): boolean {
    this.#stateSeen ||= existsSync(this.#options.storeLocation);
    return this.#stateSeen;
  }

  /** Check the store now (Redis `PING` with its version and round trip, or a LevelDB read). Never rejects. */
  async health(): Promise<StoreHealth> {
    return (await this.open()).health();
  }

  /** How many cooldown reads failed open so far. */
  get failOpenReads(): number {
    return this.#outage.count;
  }

  /** Run a cooldown write off the failover path (a lock wait of at most {@link OPTIONAL_LOCK_WAIT_MS}); a failure warns. */
  writeCooldown(write: () => Promise<unknown>): void {
    this.#cooldownWrites.run(() => withLockDeadline(OPTIONAL_LOCK_WAIT_MS, write), 'a cooldown could not be stored');
  }

  /**
   * Run a trace write off the request's path (a lock wait of at most {@link OPTIONAL_LOCK_WAIT_MS}); a
   * failure warns. The write (finishing the trace, loading and opening the store) starts only after
   * the caller got the answer: `run()` settles first, and what its caller does with the answer in
   * the same turn of the event loop (`safetynet agent` prints it) happens before. {@link writesDone}
   * and {@link close} still wait for it, so nothing is lost.
   */
  writeTrace(write: () => Promise<unknown>): void {
    this.#traceWrites.run(
      () => afterAnswer().then(() => withLockDeadline(OPTIONAL_LOCK_WAIT_MS, write)),
      'the request trace could not be stored',
    );
  }

  /**
   * Store finished traces: in the trace journal beside a LevelDB folder (`store/trace-journal.ts`)
   * while this runtime has not opened its stores, or closes the folder after every use
   * (`idleCloseMs: 0`, the `safetynet` command), so that a turn does not load or reopen LevelDB
   * after its answer; in the trace store otherwise, and when the journal is full or cannot be
   * written. Rationale: `docs/start-up.md#trace-journal`.
   * @throws {StoreError} when the trace store cannot be written.
   */
  async saveTraces(traces: RequestTrace[]): Promise<void> {
    const { config, storeLocation, idleCloseMs } = this.#options;
    if (config.store.kind === 'level' && (this.#stores === undefined || idleCloseMs === 0)) {
      const journaled = await journalTraces(storeLocation, traces).catch(() => false);
      if (journaled) return;
    }
    await (await this.traces()).writeMany(traces);
  }

  /** Resolves when every background write (traces, cooldowns) started so far is done. Never rejects. */
  async writesDone(): Promise<void> {
    await Promise.all([this.#traceWrites.settled(), this.#cooldownWrites.settled()]);
  }

  /** Wait for the background writes, then close the stores if they were opened. Never rejects. */
  async close(): Promise<void> {
    await this.writesDone();
    const stores = await this.#stores?.catch(() => undefined);
    await stores?.close();
  }
}
