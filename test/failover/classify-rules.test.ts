/**
 * Every entry of the classifier's tables (src/failover/classify.ts): each error code, each documented
 * text, each way a status is quoted, each Retry-After unit, and the edges of the status, quote and
 * message rules. classify.test.ts shows the rules on real CLI lines; this file proves that no entry
 * of a table is dead or mistyped.
 */
import { describe, expect, it } from 'vitest';
import type { FailureReason } from '../../src/errors.js';
import {
  classifyCliFailure,
  MAX_QUOTED_CHARS,
  quoteLine,
  readReason,
  reasonForCode,
  reasonForStatus,
  retryAfterMsFromText,
  statusInText,
  validStatus,
} from '../../src/failover/classify.js';

const reasonOf = (text: string): FailureReason => classifyCliFailure({ cli: 'cli', texts: [text] }).reason;

describe('every error code maps to its reason, whatever its case', () => {
  const CODES: ReadonlyArray<readonly [string, FailureReason]> = [
    ['authentication_failed', 'auth'],
    ['authentication_error', 'auth'],
    ['permission_error', 'auth'],
    ['invalid_api_key', 'auth'],
    ['unauthenticated', 'auth'],
    ['permission_denied', 'auth'],
    ['billing_error', 'billing'],
    ['insufficient_quota', 'billing'],
    ['rate_limit', 'rate_limit'],
    ['rate_limit_error', 'rate_limit'],
    ['rate_limit_exceeded', 'rate_limit'],
    ['resource_exhausted', 'rate_limit'],
    ['too_many_requests', 'rate_limit'],
    ['overloaded', 'overloaded'],
    ['overloaded_error', 'overloaded'],
    ['unavailable', 'overloaded'],
    ['server_error', 'server_error'],
    ['api_error', 'server_error'],
    ['internal', 'server_error'],
    ['context_length_exceeded', 'context_overflow'],
    ['request_too_large', 'context_overflow'],
    ['not_found_error', 'model_not_found'],
    ['model_not_found', 'model_not_found'],
    ['not_found', 'model_not_found'],
    ['deadline_exceeded', 'timeout'],
    ['etimedout', 'timeout'],
    ['esockettimedout', 'timeout'],
    ['econnrefused', 'transport'],
    ['econnreset', 'transport'],
    ['enotfound', 'transport'],
    ['eai_again', 'transport'],
    ['enetunreach', 'transport'],
    ['ehostunreach', 'transport'],
    ['und_err_connect_timeout', 'timeout'],
    ['und_err_headers_timeout', 'timeout'],
    ['und_err_body_timeout', 'timeout'],
    ['und_err_socket', 'transport'],
    ['und_err_closed', 'transport'],
    ['econnaborted', 'transport'],
    ['epipe', 'transport'],
    ['ehostdown', 'transport'],
    ['enetdown', 'transport'],
    ['enoent', 'config'],
    ['eacces', 'config'],
    ['e2big', 'config'],
  ];

  it.each(CODES)('code %s → %s', (code, reason) => {
    expect(reasonForCode(code)).toBe(reason);
    expect(reasonForCode(code.toUpperCase())).toBe(reason);
    expect(classifyCliFailure({ cli: 'cli', code: code.toUpperCase() }).reason).toBe(reason);
  });

  it('an unknown code, string or number, decides nothing', () => {
    expect(reasonForCode('no_such_code')).toBeUndefined();
    expect(reasonForCode(99)).toBeUndefined();
    expect(classifyCliFailure({ cli: 'cli', code: 99 }).reason).toBe('unknown');
  });

  it('Gemini code 41 without any text is a settings problem (config)', () => {
    expect(reasonForCode(41)).toBe('config');
    expect(reasonForCode(41, 'please set an auth method')).toBe('auth');
  });
});

describe('every documented text maps to its reason', () => {
  it.each([
    // sessions
    ['No conversation found with session ID: abc', 'session_expired'],
    ['no rollout found for thread id t1', 'session_expired'],
    ['Error resuming session: gone', 'session_expired'],
    ['No previous sessions found for this project.', 'session_expired'],
    ['--resume requires a valid session ID', 'session_expired'],
    // configuration
    ['x cannot be used with root/sudo privileges', 'config'],
    ['error: unknown option --foo', 'config'],
    ["error: unexpected argument '--bar' found", 'config'],
    ["error: unrecognized subcommand 'zap'", 'config'],
    ['Error: Input must be provided', 'config'],
    ['No prompt provided', 'config'],
    ['Not enough arguments following: p', 'config'],
    ['Invalid session ID', 'config'],
    ['Session ID 1 is already in use', 'config'],
    ['Error loading config.toml: bad', 'config'],
    ['Not inside a trusted directory', 'config'],
    ['Not running in a trusted directory', 'config'],
    ['Invalid auth method selected.', 'config'],
    // credentials
    ['Not logged in', 'auth'],
    ['Invalid API key', 'auth'],
    ['Incorrect API key provided', 'auth'],
    ['API key not valid', 'auth'],
    ['401 Unauthorized', 'auth'],
    ['403 Forbidden', 'auth'],
    ['Missing environment variable: KEY', 'auth'],
    ['Failed to authenticate', 'auth'],
    ['Please set an Auth method', 'auth'],
    ['authentication_error: nope', 'auth'],
    ['permission_error: nope', 'auth'],
    ['UNAUTHENTICATED', 'auth'],
    ['PERMISSION_DENIED', 'auth'],
    // billing
    ['insufficient_quota', 'billing'],
    ['Quota exceeded', 'billing'],
    ['check your plan and billing', 'billing'],
    ['see your billing details', 'billing'],
    ['Your credit balance is too low', 'billing'],
    ['You are out of credits', 'billing'],
    ['You are out of usage credits', 'billing'],
    ['402 Payment Required', 'billing'],
    // context
    ["ran out of room in the model's context window", 'context_overflow'],
    ['context_length_exceeded', 'context_overflow'],
    ['context length exceeded', 'context_overflow'],
    ["This model's maximum context length is 8192 tokens", 'context_overflow'],
    ['Prompt is too long', 'context_overflow'],
    // models
    ['404 Not Found', 'model_not_found'],
    ['There is an issue with the selected model', 'model_not_found'],
    ['not_found_error', 'model_not_found'],
    ['Unknown model: gpt-9', 'model_not_found'],
    ['The model gpt-9 does not exist', 'model_not_found'],
    ['model `claude-9` not found', 'model_not_found'],
    // transient
    ['Too many requests', 'rate_limit'],
    ['rate limit reached', 'rate_limit'],
    ['rate_limit hit', 'rate_limit'],
    ['RESOURCE_EXHAUSTED', 'rate_limit'],
    ['Resource has been exhausted', 'rate_limit'],
    ['Overloaded', 'overloaded'],
    ['high demand right now', 'overloaded'],
    ['Service Unavailable', 'overloaded'],
    ['Request timed out', 'timeout'],
    ['idle timeout waiting for SSE', 'timeout'],
    ['the call timed out', 'timeout'],
    ['Deadline exceeded', 'timeout'],
    ['connect ETIMEDOUT', 'timeout'],
    ['Unable to connect to API', 'transport'],
    ['Reconnecting... waiting for network', 'transport'],
    ['ConnectionRefused', 'transport'],
    ['connect ECONNREFUSED 127.0.0.1:1', 'transport'],
    ['failed to lookup address information', 'transport'],
    ['Connection failed: error sending request', 'transport'],
    ['getaddrinfo ENOTFOUND example.invalid', 'transport'],
    ['getaddrinfo EAI_AGAIN example.invalid', 'transport'],
    ['read ECONNRESET', 'transport'],
    ['stream disconnected before completion', 'server_error'],
    ['stream closed before response.completed', 'server_error'],
    ['Failed to parse JSON', 'server_error'],
    ['empty or malformed response', 'server_error'],
    ['Internal Server Error', 'server_error'],
    ['Bad Gateway', 'server_error'],
  ] as const)('%s → %s', (text, reason) => {
    expect(reasonOf(text)).toBe(reason);
  });

  it('a model named in a sentence that goes on past a full stop is not a missing model', () => {
    expect(reasonOf('model ok. Later the file was not found')).toBe('unknown');
  });

  it('the first rule that matches decides when a text fits several', () => {
    // a session text that also says "not found" is a session, not a model
    expect(reasonOf('No conversation found with session id x: model not found')).toBe('session_expired');
    // the root refusal comes before the credential texts
    expect(reasonOf('cannot be used with root/sudo privileges; Not logged in')).toBe('config');
    expect(reasonOf('Not logged in; Quota exceeded')).toBe('auth');
    expect(reasonOf('Quota exceeded; prompt is too long')).toBe('billing');
    expect(reasonOf('prompt is too long; unknown model')).toBe('context_overflow');
    expect(reasonOf('unknown model; too many requests')).toBe('model_not_found');
    expect(reasonOf('too many requests; overloaded')).toBe('rate_limit');
    expect(reasonOf('overloaded; timed out')).toBe('overloaded');
    expect(reasonOf('timed out; connection failed')).toBe('timeout');
    expect(reasonOf('connection failed; bad gateway')).toBe('transport');
  });
});

describe('a status quoted in a text', () => {
  it.each([
    ['unexpected status 502 Bad Gateway', 502],
    ['last status 429', 429],
    ['last status: 429', 429],
    ['API Error 500', 500],
    ['API Error: 500', 500],
    ['Request rejected (429)', 429],
    ['failed with status 503', 503],
    ['{"code":429}', 429],
    ['{"code" : 429}', 429],
    ['HTTP 400', 400],
    ['HTTP 599', 599],
  ])('%s → %i', (text, status) => {
    expect(statusInText([text])).toBe(status);
  });

  it('statuses below 400 and beyond 599 are not error statuses', () => {
    expect(statusInText(['HTTP 399', 'HTTP 600', 'HTTP 200'])).toBeUndefined();
    expect(statusInText(['HTTP 4000'])).toBeUndefined();
  });

  it('the first text with an error status wins, not the biggest', () => {
    expect(statusInText(['nothing here', 'HTTP 429', 'HTTP 500'])).toBe(429);
  });
});

describe('validStatus', () => {
  it('keeps integers 100–599 and nothing else', () => {
    expect([99, 100, 599, 600].map(validStatus)).toEqual([undefined, 100, 599, undefined]);
    expect(validStatus(404.5)).toBeUndefined();
    expect(validStatus(Number.NaN)).toBeUndefined();
    expect(validStatus(null)).toBeUndefined();
    expect(validStatus(undefined)).toBeUndefined();
  });
});

describe('reasonForStatus reads the text only where the status is ambiguous', () => {
  it('401 with a billing text is billing; 403 without is auth', () => {
    expect(reasonForStatus(401, 'Your credit balance is too low')).toBe('billing');
    expect(reasonForStatus(401, 'who are you')).toBe('auth');
    expect(reasonForStatus(403, 'no')).toBe('auth');
  });

  it('404 is a session, a context overflow or a model, by its text', () => {
    expect(reasonForStatus(404, 'no rollout found')).toBe('session_expired');
    expect(reasonForStatus(404, 'Error resuming session')).toBe('session_expired');
    expect(reasonForStatus(404, 'No previous sessions found')).toBe('session_expired');
    expect(reasonForStatus(404, 'No conversation found')).toBe('session_expired');
    expect(reasonForStatus(404, 'context window')).toBe('context_overflow');
    expect(reasonForStatus(404, 'context_length')).toBe('context_overflow');
    expect(reasonForStatus(404, 'context length')).toBe('context_overflow');
    expect(reasonForStatus(404, 'maximum context')).toBe('context_overflow');
    expect(reasonForStatus(404, 'prompt is too long')).toBe('context_overflow');
    expect(reasonForStatus(404, 'request_too_large')).toBe('context_overflow');
    expect(reasonForStatus(404, 'gone')).toBe('model_not_found');
  });

  it('429 with a billing text is billing', () => {
    expect(reasonForStatus(429, 'insufficient_quota')).toBe('billing');
    expect(reasonForStatus(429, 'slow down')).toBe('rate_limit');
  });

  it('other 4xx statuses need the text; every 5xx is a server error but 503 and 529', () => {
    expect([400, 405, 422, 499].map((status) => reasonForStatus(status))).toEqual([undefined, undefined, undefined, undefined]);
    expect([500, 501, 599].map((status) => reasonForStatus(status))).toEqual(['server_error', 'server_error', 'server_error']);
  });
});

describe('readReason', () => {
  it('the error codes take part in the text a status is read with', () => {
    expect(readReason({ status: 429, codes: ['insufficient_quota'], texts: [] }).reason).toBe('billing');
    expect(classifyCliFailure({ cli: 'cli', status: 429, code: 'insufficient_quota' }).reason).toBe('billing');
  });

  it('the first code that decides wins over the later ones and over the texts', () => {
    expect(readReason({ status: undefined, codes: ['nothing', 'overloaded', 'rate_limit'], texts: ['Not logged in'] })).toEqual({
      reason: 'overloaded',
      rule: undefined,
    });
  });

  it('a text decides only when status and codes did not, and names its rule', () => {
    const { reason, rule } = readReason({ status: 400, codes: ['nothing'], texts: ['odd', 'Not logged in'] });
    expect(reason).toBe('auth');
    expect(rule?.pattern.test('Not logged in')).toBe(true);
    expect(readReason({ status: 400, codes: [], texts: ['odd'] })).toEqual({ reason: undefined, rule: undefined });
  });
});

describe('Retry-After read from a text, in every unit', () => {
  it.each([
    ['try again in 1500 milliseconds', 1500],
    ['try again in 1 millisecond', 1],
    ['try again in 250ms', 250],
    ['try again in 3 secs', 3000],
    ['try again in 3 sec', 3000],
    ['try again in 1 second', 1000],
    ['try again in 2 mins', 120_000],
    ['try again in 1 min', 60_000],
    ['try again in 1 minute', 60_000],
    ['try again in 2m', 120_000],
    ['try again in 2 MINUTES', 120_000],
    ['try again in 2.45s', 2450],
    ['try again in 1.0005s', 1001],
    ['retry in 4', 4000],
    ['Retry after: 7', 7000],
  ])('%s → %i ms', (text, ms) => {
    expect(retryAfterMsFromText(text)).toBe(ms);
  });

  it('a zero, an endless or a missing wait is no Retry-After', () => {
    expect(retryAfterMsFromText('try again in 0s')).toBeUndefined();
    expect(retryAfterMsFromText(`try again in ${'9'.repeat(400)}s`)).toBeUndefined();
    expect(retryAfterMsFromText('try again later')).toBeUndefined();
    expect(retryAfterMsFromText('retry 5')).toBeUndefined();
  });

  it('the first text that carries a wait gives the failure its retryAfterMs', () => {
    expect(classifyCliFailure({ cli: 'cli', texts: ['rate limit', 'try again in 2s', 'try again in 9s'] }).retryAfterMs).toBe(2000);
  });
});

describe('the quoted line and the silent message', () => {
  it('a line of exactly the limit is quoted whole; surrounding space is dropped', () => {
    const exact = 'y'.repeat(MAX_QUOTED_CHARS);
    expect(quoteLine(exact)).toBe(exact);
    expect(quoteLine(`${exact}z`)).toBe(`${'y'.repeat(MAX_QUOTED_CHARS - 1)}…`);
    expect(quoteLine('  two\n\tlines  ')).toBe('two lines');
  });

  it('a run that neither exited nor was killed says so', () => {
    expect(classifyCliFailure({ cli: 'gemini' })).toEqual({
      reason: 'unknown',
      message: 'gemini did not exit normally and printed no reply',
    });
  });

  it('the root refusal hint names the CLI when no backend id is known', () => {
    const failure = classifyCliFailure({ cli: 'claude', texts: ['cannot be used with root/sudo privileges'] });
    expect(failure.message).toBe(
      'claude: cannot be used with root/sudo privileges — set agents.defaults.cliBackends.claude.env.IS_SANDBOX = "1" (only inside a sandbox you trust) or run safetynet as a non-root user',
    );
  });

  it('a status and a code of a run are kept on the failure; a null code counts as none', () => {
    expect(classifyCliFailure({ cli: 'cli', code: null, texts: ['Not logged in'] }).reason).toBe('auth');
    expect(classifyCliFailure({ cli: 'cli', exitCode: 0, signal: 'SIGKILL', status: 500 })).toEqual({
      reason: 'server_error',
      message: 'cli was killed by SIGKILL before it printed a reply',
      exitCode: 0,
      signal: 'SIGKILL',
      status: 500,
    });
  });
});
