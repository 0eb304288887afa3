/**
 * API providers' redirects are never followed. A `fetch` that asks for `redirect: 'manual'` and
 * turns any 3xx answer with a `Location` into a {@link RedirectRefusedError}: following one would
 * re-send the key (`x-api-key`, or `Authorization` on the same origin) and the prompt to wherever
 * the provider points, and accept that host's answer. Both SDK clients get it (`clients.ts`); the
 * SDK wraps the error in its `APIConnectionError`, and `classifyApiError` reports it as `config`,
 * naming the status and the target's origin (never its path, query or credentials).
 */

/** A provider answered a redirect; nothing was sent to its target. */
export class RedirectRefusedError extends Error {
  /** The HTTP status (301, 302, 303, 307, 308). */
  readonly status: number;
  /** The origin of the target (`https://host:port`), or `(unparseable)`. */
  readonly targetOrigin: string;
  /** The target is on the origin of the request. */
  readonly sameOrigin: boolean;

  constructor(status: number, targetOrigin: string, sameOrigin: boolean) {
    super(
      `the provider answered ${status}, a redirect to ${sameOrigin ? 'the same origin' : `another origin (${targetOrigin})`}; ` +
        'safetynet never follows redirects of an API provider — set its baseUrl to the final address',
    );
    this.status = status;
    this.targetOrigin = targetOrigin;
    this.sameOrigin = sameOrigin;
  }

  override get name(): string {
    return 'RedirectRefusedError';
  }
}

function requestUrl(input: string | URL | Request): string {
  return typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
}

/**
 * `fetch` with `redirect: 'manual'`; a 3xx answer (but 304) is refused: its body is dropped and a
 * {@link RedirectRefusedError} thrown.
 * @throws {RedirectRefusedError} on a redirect; whatever `fetch` throws otherwise.
 */
export async function fetchWithoutRedirects(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await fetch(input, { ...init, redirect: 'manual' });
  if (response.status < 300 || response.status >= 400 || response.status === 304) return response;
  await response.body?.cancel().catch(() => undefined);
  const from = new URL(requestUrl(input));
  let target = '(unparseable)';
  let sameOrigin = false;
  try {
    const to = new URL(response.headers.get('location') ?? '', from);
    target = to.origin;
    sameOrigin = to.origin === from.origin;
  } catch {
    // an unparseable Location is refused all the same
  }
  throw new RedirectRefusedError(response.status, target, sameOrigin);
}
