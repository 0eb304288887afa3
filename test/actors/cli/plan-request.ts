/**
 * The CLI turn request the plan tests start from: no model, no system prompt, no images, no
 * binding, a 600 s attempt in `/request/cwd`; overrides replace fields.
 */
import type { CliTurnRequest } from '../../../src/actors/types.js';
import type { ResolvedCliBackend } from '../../../src/config/types.js';

/** A plain request for `backend` with the message `prompt` (`hello` unless overridden). */
export function cliTurnRequest(backend: ResolvedCliBackend, overrides: Partial<CliTurnRequest> = {}): CliTurnRequest {
  return {
    backend,
    model: '',
    prompt: 'hello',
    systemPrompt: undefined,
    images: [],
    binding: undefined,
    forceNewSession: false,
    cwd: '/request/cwd',
    timeoutMs: 600_000,
    ...overrides,
  };
}
