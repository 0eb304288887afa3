/**
 * The size limits every attempt shares, CLI and API alike: one home, so a CLI's stdout and an API's
 * answer are capped the same way (`docs/streaming.md#answer-cap`).
 */

/**
 * Largest answer kept from one attempt, in bytes: 16 MiB (16 777 216). A CLI's stdout past it gets
 * its process group killed (`runCliProcess`, option `maxStdoutBytes`); an API answer whose text
 * passes it (UTF-8 bytes) fails the attempt with `server_error` (`callApi`). Either way the request
 * falls back, unless text was already streamed to the caller. Real answers stay far below it
 * (Claude's 8192 output tokens are about 32 KB); the cap keeps a broken or hostile provider from
 * filling the memory (a 300 MB answer reached 1.4 GB RSS before it existed).
 */
export const MAX_ANSWER_BYTES = 16 * 1024 * 1024;
