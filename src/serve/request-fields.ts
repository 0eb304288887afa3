/**
 * What both wire formats read the same way: the session key (header first, then the body's own
 * user field) and the fields that make a request a passthrough one (tools, structured output).
 */
import type { FastifyRequest } from 'fastify';

/** Header carrying the conversation key (CLI candidates resume their sessions by it). */
export const SESSION_HEADER = 'x-session-id';

/** The session key: the `X-Session-Id` header, else the body's user id (OpenAI `user`, Anthropic `metadata.user_id`). */
export function sessionKeyOf(request: FastifyRequest, bodyUser: unknown): string | undefined {
  const header = request.headers[SESSION_HEADER];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return typeof bodyUser === 'string' && bodyUser.trim() !== '' ? bodyUser.trim() : undefined;
}

/**
 * Whether any of `fields` is set (not null, not an empty array): such a request (tools, structured
 * output) is passed through to API candidates of its protocol (`docs/serve.md#tools-pass-through`),
 * never answered as plain text with the fields ignored.
 */
export function hasAnyField(body: Record<string, unknown>, fields: readonly string[]): boolean {
  return fields.some((field) => {
    const value = body[field];
    return !(value === undefined || value === null || (Array.isArray(value) && value.length === 0));
  });
}
