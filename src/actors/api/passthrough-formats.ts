/**
 * Which provider protocol serves which passthrough wire format (a light module: the runtime reads
 * it for every passthrough request without loading the API runners or the SDKs). A passthrough
 * request is sent with the client's own body, so only a provider speaking the client's protocol
 * can take it: Chat Completions bodies go to `openai-completions` providers, Messages bodies to
 * `anthropic-messages` providers. Rationale: `docs/serve.md#tools-pass-through`.
 */
import type { ApiKind } from '../../config/types.js';
import type { PassthroughFormat } from './types.js';

/** The provider `api` that serves each passthrough format (the same wire protocol). */
export const PASSTHROUGH_API: Readonly<Record<PassthroughFormat, ApiKind>> = Object.freeze({
  'openai-chat': 'openai-completions',
  'anthropic-messages': 'anthropic-messages',
});

/** The passthrough formats, for validation. */
export const PASSTHROUGH_FORMATS = Object.freeze(Object.keys(PASSTHROUGH_API)) as readonly PassthroughFormat[];

/** Whether a provider of protocol `api` can serve a passthrough request of `format`. */
export function servesPassthrough(api: ApiKind, format: PassthroughFormat): boolean {
  return PASSTHROUGH_API[format] === api;
}
