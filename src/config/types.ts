/**
 * Configuration shapes. The file shape is the spec's (`docs/spec-compatibility.md#config-keys`):
 * `agents.defaults.model`, `agents.defaults.models`, `agents.defaults.cliBackends`. Sections that
 * safetynet does not use are ignored, so an existing config of that shape works unchanged.
 */
import type { SessionBounds } from './session-defaults.js';
import type { StreamingClocks } from './streaming-defaults.js';
import type { CooldownSettings, RetrySettings } from './failover-settings.js';
import type { ServeSettings } from './serve-defaults.js';
import type { StoreConfig, StoreSettings } from './store-defaults.js';

/** How stdout is parsed. Spec: `json` (default), `jsonl` (Codex `--json`), `text`. */
export type OutputMode = 'json' | 'jsonl' | 'text';
/** How the prompt reaches the CLI. Spec: `arg` (default, last argv element) or `stdin`. */
export type InputMode = 'arg' | 'stdin';
/** Spec: `always` (stored id or a new UUID), `existing` (only a stored id), `none`. */
export type SessionMode = 'always' | 'existing' | 'none';
/** Spec: `first` (only when the CLI session is new), `always`, `never`. */
export type SystemPromptWhen = 'first' | 'always' | 'never';
/** Spec: `repeat` (`--image a --image b`) or `list` (`--image a,b`). */
export type ImageMode = 'repeat' | 'list';

/** No-output watchdog of one run kind (reference gateway's `reliability.watchdog.{fresh,resume}`). */
export interface WatchdogConfig {
  /** Fixed no-output timeout in ms; wins over the ratio. */
  noOutputTimeoutMs?: number;
  /** Fraction of the attempt timeout (0.05–0.95). */
  noOutputTimeoutRatio?: number;
  /** Lower bound in ms. */
  minMs?: number;
  /** Upper bound in ms. */
  maxMs?: number;
}

/**
 * One entry of `agents.defaults.cliBackends.<id>` as written in a config file. Every key is
 * optional: entries for built-in ids (`claude-cli`, `codex-cli`) are merged over the built-in
 * defaults; other ids need at least `command`.
 */
export interface CliBackendConfig {
  /** Executable: a PATH lookup or an absolute path. Spawned directly, never through a shell. */
  command?: string;
  /** Base argv of a fresh run. Replaces the built-in list whole. @default [] */
  args?: string[];
  /** Replaces `args` when resuming; `{sessionId}` is substituted in every element. @default [] (no resume mode) */
  resumeArgs?: string[];
  /** How stdout is parsed. @default 'json' */
  output?: OutputMode;
  /** Parse mode of resume runs. @default the value of `output` */
  resumeOutput?: OutputMode;
  /** Prompt delivery. @default 'arg' */
  input?: InputMode;
  /** In `arg` mode a prompt longer than this many characters goes over stdin. @default undefined (never; the built-ins use 32768) */
  maxPromptArgChars?: number;
  /** Extra environment for the child; merged per key; an explicit value wins over `clearEnv`. @default {} */
  env?: Record<string, string>;
  /** Keys removed from the inherited environment; the union with the built-in list. @default [] */
  clearEnv?: string[];
  /** Flag followed by the CLI model id, e.g. `--model`. */
  modelArg?: string;
  /** Model part of the ref → CLI model id; merged per key over the built-in map. @default {} */
  modelAliases?: Record<string, string>;
  /** Flag followed by the session id on fresh runs, e.g. `--session-id`. */
  sessionArg?: string;
  /** Args with a `{sessionId}` placeholder for fresh runs; wins over `sessionArg`. @default [] */
  sessionArgs?: string[];
  /** When a session id is sent. @default 'always' */
  sessionMode?: SessionMode;
  /** JSON fields read for the CLI session id, in order. @default ['session_id', 'sessionId', 'conversation_id', 'conversationId'] */
  sessionIdFields?: string[];
  /** Flag followed by the system prompt text. */
  systemPromptArg?: string;
  /** Informational (`append` | `replace`), accepted for compatibility; not read. */
  systemPromptMode?: 'append' | 'replace';
  /** When the system prompt is sent. @default 'first' */
  systemPromptWhen?: SystemPromptWhen;
  /** Flag for image paths; unset means paths are appended to the prompt. */
  imageArg?: string;
  /** How several image paths are passed with `imageArg`. @default 'repeat' */
  imageMode?: ImageMode;
  /** Run one turn of this backend at a time within the process, in arrival order (the same as `maxConcurrent: 1`). @default false */
  serialize?: boolean;
  /**
   * safetynet extension: at most this many turns of this backend run at once within the process
   * (a positive integer); later turns wait in arrival order (`docs/sessions.md#backend-slots`).
   * Together with `serialize: true` it must be 1.
   * @default unbounded (1 with `serialize: true`)
   */
  maxConcurrent?: number;
  /**
   * safetynet extension: at most this many turns wait for a slot (a non-negative integer); one more
   * fails at once with reason `queue_full`, spawning nothing, and the request falls back.
   * @default 32
   */
  maxQueue?: number;
  /**
   * safetynet extension: an argv element placed right before an argv prompt, ending the options.
   * The built-ins use `--` (variadic flags swallow a trailing prompt, and prompts starting with `-`
   * are read as flags: `docs/cli-contracts.md#prompt-separator`).
   * @default undefined (custom backends; the built-ins use '--')
   */
  promptSeparator?: string;
  /**
   * No-output watchdogs, as in the reference gateway.
   * @default { watchdog: { fresh: { noOutputTimeoutRatio: 0.8, minMs: 180000, maxMs: 600000 },
   *   resume: { noOutputTimeoutRatio: 0.3, minMs: 60000, maxMs: 180000 } } }
   */
  reliability?: { watchdog?: { fresh?: WatchdogConfig; resume?: WatchdogConfig } };
}

/** A backend after merging the user entry over the built-in defaults. Every key has its value. */
export interface ResolvedCliBackend {
  /** The provider id: the left side of `<id>/<model>`. */
  id: string;
  command: string;
  args: string[];
  /** Empty means the backend has no resume mode. */
  resumeArgs: string[];
  output: OutputMode;
  resumeOutput: OutputMode | undefined;
  input: InputMode;
  maxPromptArgChars: number | undefined;
  env: Record<string, string>;
  clearEnv: string[];
  modelArg: string | undefined;
  modelAliases: Record<string, string>;
  sessionArg: string | undefined;
  sessionArgs: string[];
  sessionMode: SessionMode;
  sessionIdFields: string[];
  systemPromptArg: string | undefined;
  systemPromptWhen: SystemPromptWhen;
  imageArg: string | undefined;
  imageMode: ImageMode;
  serialize: boolean;
  /** Turns that may run at once; `undefined` means unbounded. 1 when `serialize` is true. */
  maxConcurrent: number | undefined;
  /** Turns that may wait for a slot. */
  maxQueue: number;
  promptSeparator: string | undefined;
  watchdog: {
    fresh: Required<Pick<WatchdogConfig, 'noOutputTimeoutRatio' | 'minMs' | 'maxMs'>> & WatchdogConfig;
    resume: Required<Pick<WatchdogConfig, 'noOutputTimeoutRatio' | 'minMs' | 'maxMs'>> & WatchdogConfig;
  };
}

/**
 * The wire API an API provider speaks (the reference gateway's `models.providers.<id>.api`): the
 * Anthropic Messages API, the OpenAI Responses API, or OpenAI Chat Completions (which most local
 * servers speak: llama.cpp, vLLM, Ollama).
 */
export type ApiKind = 'anthropic-messages' | 'openai-responses' | 'openai-completions';

/**
 * An API provider after resolution: a built-in (`anthropic`, `openai`, configured from the standard
 * environment variables) or an entry of `models.providers.<id>` (the reference gateway's shape).
 */
export interface ResolvedApiProvider {
  /** The provider id: the left side of `<id>/<model>`. */
  id: string;
  api: ApiKind;
  /** Base URL; `undefined` means the SDK's default endpoint. */
  baseUrl: string | undefined;
  /**
   * API key; never logged, never put in argv or traces. `undefined` when none is configured
   * (built-ins then fail with `auth` before sending; custom providers send no credential). A
   * **non-enumerable** property (see `resolveApiProviders`): JSON, `util.inspect`, structured clones
   * and object spreads leave it out, so configs and machine snapshots never carry it. Read it directly.
   */
  apiKey: string | undefined;
  /**
   * Set when the entry's `apiKey` names an environment variable that is unset or empty: what is
   * missing, e.g. `models.providers.local.apiKey names the environment variable LOCAL_KEY, which is
   * not set`. Calls to the provider then fail with reason `config` before anything is sent, and
   * `safetynet doctor` reports it as an error. Absent otherwise.
   */
  apiKeyMissing?: string;
  /** Extra request headers. */
  headers: Record<string, string>;
  /** Per-request timeout in ms; `undefined` means the attempt deadline. */
  timeoutMs: number | undefined;
  /** Model ids the provider declares, when it declares any. */
  models: string[] | undefined;
  /**
   * `anthropic-messages` only: send the key as `Authorization: Bearer` instead of `x-api-key` (the
   * reference gateway's `authHeader: true`, for proxies that want a bearer token). Absent = false.
   */
  authHeader?: boolean;
}

/** An entry of the `agents.defaults.models` allowlist. */
export interface ModelEntry {
  /** Short name usable as `--model <alias>`. */
  alias?: string;
}

/**
 * A secret read from the environment, the reference gateway's SecretRef form
 * `{ source: "env", provider: "default", id: "OPENAI_API_KEY" }`. Only `source: "env"` is supported.
 */
export interface EnvSecretRef {
  source: 'env';
  /** Accepted for compatibility (the reference's secret provider name); not read. */
  provider?: string;
  /** The environment variable's name. */
  id: string;
}

/** A secret value: a plain string (where `${VAR}` is substituted from the environment) or an {@link EnvSecretRef}. */
export type SecretInput = string | EnvSecretRef;

/** One model of a provider's `models` list: a bare id, or the reference gateway's `{ id, name, … }` entry (only `id` is read). */
export type ApiModelEntry = string | ({ id: string } & Record<string, unknown>);

/**
 * One entry of `models.providers.<id>` as written in a config file: the reference gateway's shape,
 * so such configs carry over. Entries for the built-in ids (`anthropic`, `openai`) override the
 * built-in per key; other ids need `api` and `baseUrl`.
 *
 * String values of `baseUrl`, `apiKey` and `headers` may reference environment variables as
 * `${VAR_NAME}` (upper-case names; `$${VAR}` is a literal `${VAR}`), as in the reference gateway.
 */
export interface ApiProviderConfig {
  /** Wire protocol. Required for a provider that is not built in. */
  api?: ApiKind;
  /** Base URL of the API, e.g. `http://127.0.0.1:8080/v1`. Required for a provider that is not built in. */
  baseUrl?: string;
  /**
   * API key. Never appears in argv, logs or traces. A `${VAR}` or `{ source: "env", id }` naming an
   * unset or empty variable fails every call to the provider with reason `config`, naming the key
   * path and the variable, before anything is sent (never a request without the key it names).
   */
  apiKey?: SecretInput;
  /** Extra headers sent with every request (values may be secrets). */
  headers?: Record<string, SecretInput>;
  /** Deadline of one call to this provider in ms. @default the attempt deadline */
  timeoutMs?: number;
  /** The reference gateway's per-provider request timeout in seconds; `timeoutMs` wins. */
  timeoutSeconds?: number;
  /** The provider's models: ids, or `{ id, … }` entries. */
  models?: ApiModelEntry[];
  /** `anthropic-messages` only: send the key as `Authorization: Bearer` instead of `x-api-key`. @default false */
  authHeader?: boolean;
}

/**
 * `safetynet.traces`: how many request traces the state folder keeps (pruned on every write).
 * safetynet's own section: the reference gateway has no such key.
 */
export interface TracesConfig {
  /** Newest traces kept; `0` turns traces off. @default 500 */
  maxCount?: number;
  /** Traces older than this many days are removed. @default 7 */
  maxAgeDays?: number;
}

/**
 * `safetynet.sessions`: the bounds of conversations (`docs/conversations.md#bounds`).
 * safetynet's own section: the reference gateway has no such key.
 */
export interface SessionsConfig {
  /** Newest turns a transcript keeps per session key (oldest dropped first, the count kept). @default 200 */
  maxTurns?: number;
  /** Characters of turn text a transcript keeps per session key. @default 400000 */
  maxChars?: number;
  /** Characters of turn text in the history block of a CLI prompt (catch-up, reseed); `0` sends none. @default 100000 */
  historyChars?: number;
}

/**
 * `safetynet.streaming`: the clocks of API attempts besides the attempt deadline
 * (`docs/streaming.md#clocks`). safetynet's own section.
 */
export interface StreamingConfig {
  /** No stream event this many seconds after an API call started: the attempt fails over (`timeout`). @default 10 */
  firstTokenSeconds?: number;
  /** No stream event for this many seconds after one: the attempt fails over (`timeout`). @default 30 */
  idleSeconds?: number;
}

/**
 * `safetynet.cooldowns`: half-open probes of cooling candidates (`docs/failover-policy.md#half-open-probes`).
 * safetynet's own section: the reference gateway has no such key.
 */
export interface CooldownsConfig {
  /** While a transient cooldown runs, one request per this many seconds tries the candidate; `0` turns probes off. @default 5 */
  probeIntervalSeconds?: number;
}

/**
 * `safetynet.retry`: one retry of the same API candidate on a short Retry-After
 * (`docs/failover-policy.md#same-candidate-retry`). safetynet's own section.
 */
export interface RetryConfig {
  /** Longest Retry-After (ms) of a `rate_limit` / `overloaded` API failure waited out to retry once; `0` = off. @default 0 */
  sameCandidateMaxMs?: number;
}

/**
 * `safetynet.serve`: the HTTP front (`safetynet serve`, `docs/serve.md`); defaults in `./serve-defaults.ts`.
 * safetynet's own section: the reference gateway has no such key.
 */
export interface ServeConfig {
  /** Address to bind; any non-loopback address requires `apiKeys`. @default '127.0.0.1' */
  host?: string;
  /** TCP port; 0 picks a free one. @default 8787 */
  port?: number;
  /** API keys a client must send (`Authorization: Bearer <key>` or `x-api-key`); joined by `SAFETYNET_API_KEYS`. @default [] */
  apiKeys?: string[];
  /** Largest request body in bytes (413 above it). @default 33554432 (32 MiB) */
  bodyLimitBytes?: number;
  /** Origins that get CORS headers; none without it. @default [] */
  corsOrigins?: string[];
  /** Seconds in-flight requests may take to finish on SIGTERM/SIGINT. @default 30 */
  drainSeconds?: number;
}

/** The config file shape (only the keys safetynet reads; everything else is ignored). */
export interface SafetynetConfigFile {
  /** safetynet's own settings (not part of the reference gateway's shape). */
  safetynet?: {
    traces?: TracesConfig;
    sessions?: SessionsConfig;
    streaming?: StreamingConfig;
    cooldowns?: CooldownsConfig;
    retry?: RetryConfig;
    serve?: ServeConfig;
    /** Where the state lives (`docs/replicas.md`); defaults in `./store-defaults.ts`. */
    store?: StoreConfig;
  };
  /** The reference gateway's `models` section; only `providers` is read. */
  models?: {
    /** API providers by id (case-insensitive). */
    providers?: Record<string, ApiProviderConfig>;
  };
  agents?: {
    defaults?: {
      /** A model ref, or `{ primary, fallbacks }`. */
      model?: string | { primary?: string; fallbacks?: string[] };
      /** Allowlist and aliases: when present, only these refs may be used. */
      models?: Record<string, ModelEntry>;
      cliBackends?: Record<string, CliBackendConfig>;
      /** Deadline of one attempt in seconds (the reference gateway's default). @default 600 */
      timeoutSeconds?: number;
    };
  };
}

/** The validated, merged configuration the runtime works with. */
export interface ResolvedConfig {
  /** The file it came from, `<inline>` for a config object, or `null` for built-in defaults only. */
  source: string | null;
  /** `agents.defaults.model.primary` (or the string form), when set. */
  primary: string | undefined;
  /** `agents.defaults.model.fallbacks`, in order. */
  fallbacks: string[];
  /** The `agents.defaults.models` allowlist, or `undefined` when absent. */
  allowlist: Record<string, ModelEntry> | undefined;
  /** Built-in and configured CLI backends by provider id (lower-case). */
  backends: Record<string, ResolvedCliBackend>;
  /** Deadline of one attempt in ms. @default 600000 */
  attemptTimeoutMs: number;
  /**
   * API providers by id (lower-case): the built-ins `anthropic` and `openai` (keys and base URLs
   * from `ANTHROPIC_API_KEY`/`ANTHROPIC_BASE_URL` and `OPENAI_API_KEY`/`OPENAI_BASE_URL`), each
   * overridden per key by `models.providers.<id>`, plus every configured custom provider.
   */
  providers: Record<string, ResolvedApiProvider>;
  /** Configured providers left out because safetynet does not speak their `api` (id → api). */
  unsupportedProviders: Record<string, string>;
  /** Bounds of the stored request traces (`safetynet.traces`): default 500 traces, 7 days. */
  traces: { maxCount: number; maxAgeMs: number };
  /** Bounds of conversations (`safetynet.sessions`): default 200 turns, 400 000 characters, 100 000 in a CLI prompt. */
  sessions: SessionBounds;
  /** Clocks of API streams (`safetynet.streaming`): default 10 s to the first event, 30 s between events. */
  streaming: StreamingClocks;
  /** Half-open probes (`safetynet.cooldowns`): default one probe per 5 000 ms. */
  cooldowns: CooldownSettings;
  /** Same-candidate retry (`safetynet.retry`): default off (0 ms). */
  retry: RetrySettings;
  /** The HTTP front (`safetynet.serve`, with `SAFETYNET_API_KEYS` joined to `apiKeys`); defaults in `./serve-defaults.ts`. */
  serve: ServeSettings;
  /** Where the state lives (`safetynet.store`, with `SAFETYNET_REDIS_URL` / `SAFETYNET_HOST_ID`); defaults in `./store-defaults.ts`. */
  store: StoreSettings;
}
