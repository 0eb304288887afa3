/**
 * LevelDB state of safetynet: a shared, on-demand handle per folder ({@link LevelHandle}) and the
 * CLI session bindings ({@link SessionStore}) and the cooldowns of failed candidates
 * ({@link CooldownStore}) stored in it.
 */
export { bindingKey, decodeKeyPart, encodeKeyPart, KEY_SEPARATOR, sessionKeyRange } from './binding-key.js';
export { defaultStoreLocation } from './default-location.js';
export { KeyedMutex } from './keyed-mutex.js';
export {
  LevelHandle,
  type JsonSublevel,
  type LevelHandleOptions,
  type LevelHandleStatus,
  type LockedRetryEvent,
  type StateDatabase,
} from './level-handle.js';
export { DEFAULT_LOCK_RETRY, isLevelLocked, type LockRetryOptions } from './lock-retry.js';
export { SESSIONS_SUBLEVEL, SessionStore, type RecordSuccessInput, type SessionStoreOptions } from './session-store.js';
export {
  COOLDOWNS_SUBLEVEL,
  CooldownStore,
  type CooldownEntry,
  type CooldownStoreOptions,
  type RecordCooldownSuccessInput,
  type RecordFailureInput,
} from './cooldown-store.js';
