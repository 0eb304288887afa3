/**
 * The stream clocks of API attempts (`safetynet.streaming` in the config file): one home for the
 * defaults the config loader fills in. Rationale: `docs/streaming.md#clocks`.
 */

/**
 * Default `safetynet.streaming.firstTokenSeconds`: an API attempt whose stream has sent no event
 * 10 s after the call started (response headers included) fails over with `timeout`.
 */
export const DEFAULT_FIRST_TOKEN_SECONDS = 10;

/** Default `safetynet.streaming.idleSeconds`: a stream with no event for 30 s fails over with `timeout`. */
export const DEFAULT_STREAM_IDLE_SECONDS = 30;

/** The resolved stream clocks, in ms. */
export interface StreamingClocks {
  /** Longest wait for the first stream event of an API call. @default 10000 */
  firstTokenMs: number;
  /** Longest gap between two stream events of an API call. @default 30000 */
  idleMs: number;
}
