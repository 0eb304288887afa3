/**
 * The state of safetynet, on LevelDB (the embedded default) or Redis (replicas; `redis/`), behind one
 * interface (`ports.ts`). LevelDB: a shared, on-demand handle per folder ({@link LevelHandle}) and the
 * CLI session bindings and conversation transcripts ({@link SessionStore}), the cooldowns of failed
 * candidates ({@link CooldownStore}) and the request traces ({@link TraceStore}) stored in it; the
 * session lane lock files ({@link FileLaneLocks}). Redis: the same stores on one shared
 * `RedisConnection` ({@link RedisSessionStore}, {@link RedisCooldownStore}, {@link RedisTraceStore})
 * and lane leases with fencing tokens ({@link RedisLaneLocks}).
 */
export { bindingKey, decodeKeyPart, encodeKeyPart, KEY_SEPARATOR, sessionKeyRange } from './binding-key.js';
export { defaultStoreLocation } from './state-location.js';
export type {
  CooldownStorage,
  HeldLaneLock,
  LaneLocks,
  SessionStorage,
  StateStores,
  StoreHealth,
  StoreKind,
  TraceStorage,
} from './ports.js';
export { openStateStores, type OpenStateStoresOptions } from './state-stores.js';
export { KeyedMutex } from './keyed-mutex.js';
export {
  LevelHandle,
  type JsonSublevel,
  type LevelHandleOptions,
  type LevelHandleStatus,
  type LockedRetryEvent,
  type StateDatabase,
} from './level/handle.js';
export { DEFAULT_LOCK_RETRY, isLevelLocked, type LockRetryOptions } from './level/lock-retry.js';
export {
  SESSIONS_SUBLEVEL,
  SessionStore,
  type RecordSessionSuccessInput,
  type ResetResult,
  type SessionBinding,
  type SessionStoreOptions,
} from './session-store.js';
export { MAX_WRITE_ATTEMPTS, RedisSessionStore, type RedisSessionStoreOptions } from './redis/session-store.js';
export type { CommitBinding, CommitTurnInput, CommitTurnResult, TranscriptBounds } from './commit-input.js';
export { KEPT_NEWEST_TURNS } from './transcript-commit.js';
export {
  SEQ_DIGITS,
  TRANSCRIPT_META_SUBLEVEL,
  TRANSCRIPTS_SUBLEVEL,
  transcriptMetaKey,
  transcriptRange,
  transcriptTurnKey,
} from './transcript-key.js';
export { TRANSCRIPT_CACHE_MAX_CHARS } from './transcript-cache.js';
export type { ConversationSummary, TranscriptMeta } from './transcript-meta.js';
export {
  COOLDOWNS_SUBLEVEL,
  CooldownStore,
  type CooldownEntry,
  type CooldownStoreOptions,
  type RecordCooldownSuccessInput,
  type RecordCooldownFailureInput,
  type ClaimProbeInput,
} from './cooldown-store.js';
export {
  DEFAULT_TRACE_MAX_AGE_MS,
  DEFAULT_TRACE_MAX_COUNT,
  TRACES_SUBLEVEL,
  TraceStore,
  traceKey,
  type TraceBounds,
  type TraceStoreOptions,
} from './trace-store.js';
export type { RequestTrace, TraceAttempt, TraceAttemptSession, TraceSession, TraceStatus, TraceStep } from './trace-types.js';
export { DEFAULT_LANE_STALE_MS, FileLaneLocks, MIN_LANE_STALE_MS, type FileLaneLocksOptions } from './lanes/file-lane-locks.js';
export { BREAKER_SUFFIX, LOCK_SUFFIX, laneLockPath, laneLockTarget } from './lanes/lane-lock-files.js';
// Types only from ioredis: importing these does not load the Redis client.
export { DEFAULT_LANE_LEASE_MS, RedisLaneLocks, type RedisLaneLocksOptions } from './redis/lane-locks.js';
export { MAX_CAS_ATTEMPTS, RedisCooldownStore, type RedisCooldownStoreOptions } from './redis/cooldown-store.js';
export { RedisTraceStore, type RedisTraceStoreOptions } from './redis/trace-store.js';
