/**
 * API providers as attempt actors: `callApi` (the entry point), the per-protocol runners, the SDK
 * client cache and the API failure classifier. Importing this index does not load either SDK.
 */
export { ANTHROPIC_MAX_TOKENS, anthropicBody, runAnthropicMessages } from './anthropic-messages.js';
export { API_RUNNERS, callApi } from './call-api.js';
export { ApiStreamError, classifyApiError, retryAfterMsFromHeaders, toApiAttemptError, type ApiErrorContext } from './classify-api.js';
export {
  DEFAULT_ANTHROPIC_BASE_URL,
  DEFAULT_OPENAI_BASE_URL,
  MAX_CACHED_CLIENTS,
  anthropicClient,
  clearClientCache,
  openaiClient,
  preloadSdk,
} from './clients.js';
export { completionsBody, completionsUsage, runOpenAICompletions } from './openai-completions.js';
export { responsesBody, responsesUsage, runOpenAIResponses } from './openai-responses.js';
export type { ApiCallInput, ApiRequest, ApiRunner, ApiTurn, InlineImage } from './types.js';
