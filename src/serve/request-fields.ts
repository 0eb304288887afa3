/**
 * What both wire formats read the same way: the session key (header first, then the body's own
 * user field) and the refusal of fields safetynet cannot honour yet (tools, structured output).
 */
import type { FastifyRequest } from 'fastify';
import { UsageError } from '../errors.js';

/** Header carrying the conversation key (CLI candidates resume their sessions by it). */
export const SESSION_HEADER = 'x-session-id';

/** The session key: the `X-Session-Id` header, else the body's user id (OpenAI `user`, Anthropic `metadata.user_id`). */
export function sessionKeyOf(request: FastifyRequest, bodyUser: unknown): string | undefined {
  const header = request.headers[SESSION_HEADER];
  if (typeof header === 'string' && header.trim() !== '') return header.trim();
  return typeof bodyUser === 'string' && bodyUser.trim() !== '' ? bodyUser.trim() : undefined;
}

/**
 * Refuse fields that would change the answer's kind (tools, structured output): taking such a
 * request and ignoring them would answer something else than was asked.
 * @throws {UsageError} `SAFETYNET_USAGE` naming the first such field present (not null).
 */
export function unsupportedFields(body: Record<string, unknown>, fields: readonly string[]): void {
  for (const field of fields) {
    const value = body[field];
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    throw new UsageError(`${field}: tools and structured output are not supported yet by safetynet serve; leave "${field}" out`);
  }
}
