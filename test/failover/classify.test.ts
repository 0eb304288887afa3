import { describe, expect, it } from 'vitest';
import {
  MAX_QUOTED_CHARS,
  classifyCliFailure,
  reasonForStatus,
  type CliFailureSignals,
  retryAfterMsFromText,
  statusInText,
} from '../../src/failover/classify.js';
import { FAILURE_REASONS } from '../../src/errors.js';

const classify = (texts: string[], extra: Partial<CliFailureSignals> = {}) =>
  classifyCliFailure({ cli: 'cli', exitCode: 1, texts, ...extra });

describe('classifyCliFailure: HTTP status first', () => {
  it.each([
    [401, 'auth'],
    [403, 'auth'],
    [402, 'billing'],
    [404, 'model_not_found'],
    [408, 'timeout'],
    [413, 'context_overflow'],
    [429, 'rate_limit'],
    [503, 'overloaded'],
    [529, 'overloaded'],
    [500, 'server_error'],
    [502, 'server_error'],
    [504, 'server_error'],
  ] as const)('status %i → %s', (status, reason) => {
    expect(classifyCliFailure({ cli: 'claude', status }).reason).toBe(reason);
    expect(reasonForStatus(status)).toBe(reason);
  });

  it('a CLI failure names the CLI once: a line that already starts with the name is not prefixed again', () => {
    expect(classifyCliFailure({ cli: 'fake-cli', exitCode: 1, texts: ['fake-cli: boom'] }).message).toBe('fake-cli: boom');
    expect(classifyCliFailure({ cli: 'fake-cli', exitCode: 1, texts: ['boom'] }).message).toBe('fake-cli: boom');
    expect(classifyCliFailure({ cli: 'codex', exitCode: 1, texts: ['codex-helper: boom'] }).message).toBe('codex: codex-helper: boom');
  });

  it('a structured status wins over the text', () => {
    expect(classify(['Request timed out'], { status: 429 })).toMatchObject({ reason: 'rate_limit', status: 429 });
  });

  it('null and out-of-range statuses are ignored', () => {
    expect(classify(['Request timed out'], { status: null }).reason).toBe('timeout');
    expect(classify(['Request timed out'], { status: 41 }).reason).toBe('timeout');
  });

  it('400 and 422 defer to the text (Gemini "API key not valid" is a 400)', () => {
    expect(classify(['API key not valid. Please pass a valid API key.'], { status: 400 })).toMatchObject({ reason: 'auth', status: 400 });
    expect(classify(['Unprocessable'], { status: 422 })).toMatchObject({ reason: 'unknown', status: 422 });
  });

  it('a 429 or 401/403 whose text is about billing is billing', () => {
    expect(classify(['You exceeded your current quota, please check your plan and billing details.'], { status: 429 }).reason).toBe(
      'billing',
    );
    expect(classify(['Your credit balance is too low'], { status: 403 }).reason).toBe('billing');
  });

  it('a 404 about a missing session is session_expired, not model_not_found', () => {
    expect(classify(['No conversation found with session ID: x'], { status: 404 }).reason).toBe('session_expired');
  });

  it.each([
    ['unexpected status 429 Too Many Requests: slow down, url: http://127.0.0.1:8080/v1/responses', 429],
    ['exceeded retry limit, last status: 429 Too Many Requests', 429],
    ['API Error: 500 Internal server error. … check your inference gateway (127.0.0.1:8080).', 500],
    ['API Error: Request rejected (429) · This request would exceed the rate limit', 429],
    ['Attempt 1 failed with status 503. Retrying with backoff...', 503],
    ['_ApiError: {"error":{"code":429,"message":"Resource has been exhausted","status":"RESOURCE_EXHAUSTED"}}', 429],
    ['unexpected status 404 Not Found: HTTP 404', 404],
  ])('the status quoted in a CLI text is read: %s', (text, status) => {
    expect(statusInText([text])).toBe(status);
    expect(classify([text]).status).toBe(status);
  });

  it('ports, success codes and other numbers are not statuses', () => {
    expect(
      statusInText(['check your inference gateway (127.0.0.1:5030)', 'Limit 30000, Used 30000, Requested 1200', '{"code":200}']),
    ).toBeUndefined();
  });
});

describe('classifyCliFailure: error codes second', () => {
  it.each([
    ['authentication_failed', 'auth'],
    ['rate_limit', 'rate_limit'],
    ['overloaded', 'overloaded'],
    ['server_error', 'server_error'],
    ['RESOURCE_EXHAUSTED', 'rate_limit'],
    ['UNAVAILABLE', 'overloaded'],
    ['PERMISSION_DENIED', 'auth'],
    ['insufficient_quota', 'billing'],
    ['context_length_exceeded', 'context_overflow'],
    ['ENOENT', 'config'],
    ['E2BIG', 'config'],
    ['ECONNREFUSED', 'transport'],
    [42, 'session_expired'],
    [55, 'config'],
  ] as const)('code %s → %s', (code, reason) => {
    expect(classifyCliFailure({ cli: 'cli', code }).reason).toBe(reason);
  });

  it('Gemini code 41 is auth when no auth method is set, config when the settings are wrong', () => {
    expect(classify(['Please set an Auth method in your settings.json or specify GEMINI_API_KEY'], { code: 41 }).reason).toBe('auth');
    expect(classify(['Invalid auth method selected.'], { code: 41 }).reason).toBe('config');
  });

  it('a code wins over the text, the status wins over the code', () => {
    expect(classify(['Not logged in'], { code: 'overloaded' }).reason).toBe('overloaded');
    expect(classify([], { code: 'overloaded', status: 401 }).reason).toBe('auth');
  });

  it("Claude api_retry's `unknown` error code leaves the decision to the text", () => {
    expect(classify(['API Error: Unable to connect to API (ConnectionRefused)'], { code: 'unknown' }).reason).toBe('transport');
  });
});

describe("classifyCliFailure: the CLIs' documented texts (real-clis.md §10)", () => {
  it.each([
    // Claude results and stderr lines
    ['Not logged in · Please run /login', 'auth'],
    ['Invalid API key · Fix external API key', 'auth'],
    ['Request timed out', 'timeout'],
    ['API Error: Unable to connect to API (ConnectionRefused)', 'transport'],
    ['API Error: Failed to parse JSON', 'server_error'],
    ['API Error: empty or malformed response', 'server_error'],
    ['No conversation found with session ID: 6f1c2a9e-3b4d-4c5e-9f60-7a8b9c0d1e2f', 'session_expired'],
    ['Error: --resume requires a valid session ID or session title when used with --print.', 'session_expired'],
    ["error: unknown option '-x marks the spot'", 'config'],
    ['Error: Input must be provided either through stdin or as a prompt argument when using --print', 'config'],
    ['Error: Invalid session ID. Must be a valid UUID.', 'config'],
    ['Error: Session ID 6f1c2a9e-3b4d-4c5e-9f60-7a8b9c0d1e2f is already in use.', 'config'],
    // Codex
    ["error: unexpected argument '--color' found", 'config'],
    ['Error: thread/resume: thread/resume failed: no rollout found for thread id x (code -32600)', 'session_expired'],
    ['Error loading config.toml: `wire_api = "chat"` is no longer supported.', 'config'],
    ['Not inside a trusted directory and --skip-git-repo-check was not specified.', 'config'],
    ['No prompt provided via stdin.', 'config'],
    ['unexpected status 401 Unauthorized: Incorrect API key provided', 'auth'],
    ['403 Forbidden', 'auth'],
    ['Missing environment variable: `STUB_OPENAI_API_KEY`.', 'auth'],
    ['429 Too Many Requests', 'rate_limit'],
    ['rate limit exceeded: Rate limit reached for gpt-5 on tokens per min (TPM)', 'rate_limit'],
    ['Quota exceeded. Check your plan and billing details.', 'billing'],
    ['We’re currently experiencing high demand, which may cause temporary errors.', 'overloaded'],
    ['unexpected status 529 <unknown status code>: Overloaded', 'overloaded'],
    ['stream disconnected before completion: idle timeout waiting for SSE', 'timeout'],
    ['stream disconnected before completion: stream closed before response.completed', 'server_error'],
    ['stream disconnected before completion: failed to lookup address information: Name does not resolve', 'transport'],
    [
      "Codex ran out of room in the model's context window. Start a new thread or clear earlier history before retrying.",
      'context_overflow',
    ],
    ['404 Not Found', 'model_not_found'],
    ['Reconnecting... waiting for network (Connection failed: error sending request)', 'transport'],
    // Gemini
    ['Error resuming session: No previous sessions found for this project.', 'session_expired'],
    ['Gemini CLI is not running in a trusted directory. To proceed, either use `--skip-trust`', 'config'],
    ['Not enough arguments following: p', 'config'],
    ['Resource has been exhausted (e.g. check quota).', 'rate_limit'],
  ] as const)('%s → %s', (text, reason) => {
    expect(classify([text]).reason).toBe(reason);
  });

  it('the first text that matches decides, in the order given', () => {
    expect(classify(['Request timed out', 'Not logged in']).reason).toBe('timeout');
    expect(classify(['something odd', 'Not logged in']).reason).toBe('auth');
  });

  it('the root refusal tells the user to set env.IS_SANDBOX = "1" for that backend or run as non-root', () => {
    const failure = classifyCliFailure({
      cli: 'claude',
      backendId: 'claude-cli',
      exitCode: 1,
      texts: ['--dangerously-skip-permissions cannot be used with root/sudo privileges for security reasons'],
    });
    expect(failure.reason).toBe('config');
    expect(failure.message).toContain('agents.defaults.cliBackends.claude-cli.env.IS_SANDBOX = "1"');
    expect(failure.message).toContain('non-root');
  });

  it('nothing recognised is unknown', () => {
    expect(classify(['the flux capacitor broke'])).toEqual({ reason: 'unknown', message: 'cli: the flux capacitor broke', exitCode: 1 });
  });

  it('every reason produced is a FailureReason', () => {
    expect(FAILURE_REASONS).toContain(classify(['Quota exceeded']).reason);
  });
});

describe('classifyCliFailure: message, retry hint and fields', () => {
  it('the message quotes the first text on one line, at most 300 characters', () => {
    const long = `API Error: Request rejected (429) · ${'x'.repeat(400)}\nsecond line`;
    const failure = classifyCliFailure({ cli: 'claude', exitCode: 1, texts: [undefined, '  ', long] });
    expect(failure.message.startsWith('claude: API Error: Request rejected (429) · xxx')).toBe(true);
    expect(failure.message.length).toBe('claude: '.length + MAX_QUOTED_CHARS);
    expect(failure.message).not.toContain('\n');
    expect(failure.message.endsWith('…')).toBe(true);
  });

  it.each([
    ['Please try again in 2.4s.', 2400],
    ['try again in 500ms', 500],
    ['Please retry after 30 seconds', 30_000],
    ['retry-after: 5', 5000],
    ['try again in 2 minutes', 120_000],
    ['This is a server-side issue, usually temporary — try again in a moment.', undefined],
  ])('a retry-after hint in the text becomes retryAfterMs: %s', (text, ms) => {
    expect(retryAfterMsFromText(text)).toBe(ms);
  });

  it('retryAfterMs is set on the failure when the CLI text carries it', () => {
    const failure = classify(['rate limit exceeded: Rate limit reached. Please try again in 2.4s.']);
    expect(failure).toMatchObject({ reason: 'rate_limit', retryAfterMs: 2400 });
  });

  it('without any text the message says how the process ended', () => {
    expect(classifyCliFailure({ cli: 'codex', signal: 'SIGTERM' })).toEqual({
      reason: 'unknown',
      message: 'codex was killed by SIGTERM before it printed a reply',
      signal: 'SIGTERM',
    });
    expect(classifyCliFailure({ cli: 'gemini', exitCode: 0 }).message).toBe('gemini printed no reply (exit code 0)');
    expect(classifyCliFailure({ cli: 'claude', exitCode: 143 }).message).toBe('claude exited with code 143 without an error message');
  });

  it('optional fields are absent (not undefined) when unknown', () => {
    const failure = classifyCliFailure({ cli: 'x', texts: ['boom'] });
    expect(Object.keys(failure).sort()).toEqual(['message', 'reason']);
  });
});
