/**
 * Reading the retry notices Gemini prints on **stderr** while it retries a failed request
 * (`--output-format json`), before the watch policy (`./watch.ts`) classifies them. Pure.
 *
 * What it prints (`docs/cli-contracts.md#cli-retries`, `#retry-watch`; fixtures `gemini/http-429`,
 * `-500`, `-503`): `Attempt 1 failed with status 429. Retrying with backoff... _ApiError:
 * {"error":{"code":429,…}}` (then an indented stack trace) per failed request, BEFORE it waits
 * (4–6 s before the 2nd request, then 7–12 s, 15–24 s). It prints no delay; the status part is
 * absent when the request got no answer.
 */
import { definedFields, type RetryNotice } from './retry-notice.js';

const GEMINI_NOTICE = /^Attempt (\d+) failed(?: with status (\d{3}))?\. Retrying with backoff\.\.\.\s*(.*)$/s;

/**
 * Reads one stderr line: a Gemini `Attempt N failed [with status S]. Retrying with backoff... <error>`
 * notice, else `undefined`. The text is the error after it (`_ApiError: {"error":{…}}`). Pure.
 */
export function readGeminiRetryNotice(line: string): RetryNotice | undefined {
  const match = GEMINI_NOTICE.exec(line.trim());
  if (match === null) return undefined;
  return definedFields<RetryNotice>({
    dialect: 'gemini',
    attempt: Number(match[1]),
    status: match[2] === undefined ? undefined : Number(match[2]),
    text: match[3]?.trim() || `request failed${match[2] === undefined ? '' : ` with status ${match[2]}`}`,
    waitingForNetwork: false,
  });
}
