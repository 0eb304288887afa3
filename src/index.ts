/**
 * safetynet: keeps an AI gateway answering when its API providers fail.
 *
 * @example
 * import { createRuntime } from 'safetynet';
 * const runtime = await createRuntime({ config: { agents: { defaults: { model: { primary: 'claude-cli/opus-4.6' } } } } });
 * const controller = new AbortController();
 * const result = await runtime.run({ message: 'hi', sessionKey: 'user-42', signal: controller.signal });
 * console.log(result.text, result.model, result.attempts);
 * await runtime.close();
 */
export { createRuntime, Runtime, type RuntimeOptions, type SessionsApi } from './runtime/runtime.js';
export type {
  ChatMessage,
  ImageInput,
  PassthroughEvent,
  PassthroughFormat,
  PassthroughRequest,
  PassthroughResult,
  RunRequest,
  RunResult,
  TextDelta,
} from './runtime/request.js';
export type { Continuation, ImagePlaceholder, Transcript, TranscriptTurn, TurnRole } from './conversation/types.js';
export type { MessagePart } from './conversation/messages.js';
export type { ConversationSummary, ResetResult } from './store/index.js';
export { fanOut, type InspectObserver } from './inspection/fan-out.js';
export {
  configSecrets,
  createRedactor,
  createSanitizer,
  envSecrets,
  STANDARD_KEY_VARIABLES,
  toInspectionRecord,
  type SanitizeOptions,
} from './inspection/sanitize.js';
export { createVerbosePrinter, type VerboseOptions } from './inspection/verbose.js';
export { TraceRecorder, type TraceOutcome, type TraceRecorderOptions } from './inspection/trace-recorder.js';
export type { TracesApi } from './runtime/tracing.js';
export type { ClearedCooldowns, CooldownsApi, CooldownView } from './runtime/cooldowns-api.js';
export type { CliBackendStats, CliStats } from './runtime/cli-turns.js';
export { createServer, type SafetynetServer, type ServeOptions } from './serve/server.js';
export type { ServeSettings } from './config/serve-defaults.js';
export { runDoctor, type DoctorCheck, type DoctorCheckName, type DoctorOptions, type DoctorReport } from './doctor/doctor.js';
export type { RequestTrace, TraceAttempt, TraceAttemptSession, TraceSession, TraceStatus, TraceStep } from './store/trace-types.js';
export {
  AttemptError,
  ConfigError,
  FAILURE_REASONS,
  RequestError,
  SafetynetError,
  SessionBusyError,
  StoreError,
  UsageError,
  type AttemptFailure,
  type ConfigProblem,
  type FailureReason,
  type RequestAttempt,
  type SafetynetErrorCode,
} from './errors.js';
export type {
  CliBackendConfig,
  ImageMode,
  InputMode,
  OutputMode,
  ResolvedCliBackend,
  ResolvedConfig,
  SafetynetConfigFile,
  SessionMode,
  SystemPromptWhen,
} from './config/types.js';
export type { SessionBinding, Usage } from './actors/types.js';
export { requestMachine, type RequestMachine, type RequestEvent } from './machines/request-machine.js';
export type { Attempt, Candidate, RequestInput, RequestOutput } from './machines/types.js';
