/**
 * The one store interface every backend implements: LevelDB (`SessionStore`, `CooldownStore`,
 * `TraceStore`, the lane lock files; the embedded default) and Redis (`redis/`, shared by
 * replicas). The compliance suite in `test/store/compliance/` runs the same tests against each.
 *
 * Rationale: `docs/replicas.md`.
 */
import type { StoreSettings } from '../config/store-defaults.js';
import type { Transcript } from '../conversation/types.js';
import type { CommitTurnInput, CommitTurnResult, TranscriptBounds } from './commit-input.js';
import type { CooldownEntry } from '../failover/cooldown-policy.js';
import type { ClaimProbeInput, RecordCooldownFailureInput, RecordCooldownSuccessInput } from './cooldown-input.js';
import type { RecordSessionSuccessInput, ResetResult } from './session-store-options.js';
import type { SessionBinding } from './session-binding.js';
import type { ConversationSummary } from './transcript-meta.js';
import type { TraceBounds } from './trace-record.js';
import type { RequestTrace } from './trace-types.js';

/** Which backend holds the state: `level` (one folder, embedded) or `redis` (shared by replicas). */
export type StoreKind = 'level' | 'redis';

/**
 * CLI session bindings and conversation transcripts. Semantics are those documented on the LevelDB
 * `SessionStore`; every implementation passes the same compliance suite.
 */
export interface SessionStorage {
  /** Where the state lives, for messages: the LevelDB folder, or the Redis URL without its password. */
  readonly location: string;
  get(sessionKey: string, backendId: string): Promise<SessionBinding | undefined>;
  list(sessionKey?: string): Promise<SessionBinding[]>;
  transcript(sessionKey: string): Promise<Transcript>;
  conversations(): Promise<ConversationSummary[]>;
  commitTurn(input: CommitTurnInput): Promise<CommitTurnResult>;
  recordSuccess(input: RecordSessionSuccessInput): Promise<SessionBinding>;
  reset(sessionKey: string, backendId?: string): Promise<number>;
  resetAll(sessionKey: string): Promise<ResetResult>;
  close(): Promise<void>;
}

/** Cooldowns of failed candidates (semantics of the LevelDB `CooldownStore`). */
export interface CooldownStorage {
  readonly location: string;
  read(keys: readonly string[], now?: number): Promise<Map<string, CooldownEntry>>;
  recordFailure(input: RecordCooldownFailureInput): Promise<CooldownEntry | undefined>;
  claimProbe(input: ClaimProbeInput): Promise<boolean>;
  recordSuccess(input: RecordCooldownSuccessInput): Promise<void>;
  list(now?: number): Promise<CooldownEntry[]>;
  clear(key?: string): Promise<number>;
  close(): Promise<void>;
}

/** Request traces (semantics of the LevelDB `TraceStore`). */
export interface TraceStorage {
  readonly location: string;
  /** Newest traces kept. */
  readonly maxCount: number;
  /** Traces older than this (ms) are removed. */
  readonly maxAgeMs: number;
  write(trace: RequestTrace, now?: number): Promise<number>;
  writeMany(batch: readonly RequestTrace[], now?: number): Promise<number>;
  last(): Promise<RequestTrace | undefined>;
  find(id: string): Promise<RequestTrace[]>;
  list(limit?: number): Promise<RequestTrace[]>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** A held lane lock: release it when the turn ends (never rejects; a failed release warns). */
export interface HeldLaneLock {
  /** The fencing token of this hold (strictly increasing per session key), when the backend has one. */
  readonly token?: number;
  release(): Promise<void>;
}

/**
 * The cross-process half of a session lane (the in-process FIFO is `SessionLanes`' own): one try to
 * take the lock of a session key. Lock files beside the LevelDB folder, or a Redis lease.
 */
export interface LaneLocks {
  /** Where the locks live, for the busy message (a folder, or a Redis URL without its password). */
  readonly location: string;
  /**
   * Take the lock of `sessionKey` once, without waiting.
   * @returns the held lock, or `undefined` when another holder has it.
   * @throws {StoreError} when the locks cannot be reached (`SAFETYNET_STORE_FAILED` / `SAFETYNET_STORE_UNAVAILABLE`).
   */
  tryAcquire(sessionKey: string): Promise<HeldLaneLock | undefined>;
  /** Stop refreshing held locks' timers and release connections. Never rejects. */
  close(): Promise<void>;
}

/** One check of the store, for `safetynet doctor` and `/readyz`. */
export interface StoreHealth {
  kind: StoreKind;
  /** Where the state lives (no password). */
  location: string;
  ok: boolean;
  /** Round trip of one command, in ms (Redis `PING`; LevelDB: not measured). */
  latencyMs?: number;
  /** The server's version (Redis `redis_version`). */
  version?: string;
  /** What went wrong, when not ok. */
  error?: string;
}

/** The stores of one runtime, all on one backend. */
export interface StateStores {
  readonly kind: StoreKind;
  readonly location: string;
  readonly sessions: SessionStorage;
  readonly cooldowns: CooldownStorage;
  readonly traces: TraceStorage;
  readonly lanes: LaneLocks;
  /** Check the backend now (never rejects). */
  health(): Promise<StoreHealth>;
  /** Close every store. Never rejects. */
  close(): Promise<void>;
}

/** Options of `openStateStores` (`state-stores.ts`) and of each backend's factory. */
export interface OpenStateStoresOptions {
  /** The resolved `safetynet.store` settings. */
  settings: StoreSettings;
  /** The LevelDB folder (`kind: 'level'`; its lane lock files go to `<location>.lanes`). */
  location: string;
  /** How long (ms) the LevelDB folder stays open after its last use. */
  idleCloseMs: number;
  /** Transcript bounds (`safetynet.sessions.maxTurns` / `maxChars`). */
  bounds: TranscriptBounds;
  /** Trace bounds (`safetynet.traces`). */
  traces: Required<TraceBounds>;
  /** Receives warnings: lost lane locks, Redis outages and recoveries. */
  onWarning?: ((message: string) => void) | undefined;
}
