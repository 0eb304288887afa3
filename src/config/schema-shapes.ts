/**
 * The zod schemas of the config file shape (`docs/spec-compatibility.md#config-keys`): the keys safetynet
 * reads, strict inside `agents.defaults` (and its `model`), backend and provider entries and the
 * `safetynet` section, loose elsewhere.
 * `./schema.ts` turns their failures into {@link ConfigProblem}s. Loads zod: import it lazily.
 */
import * as z from 'zod';
import { IGNORED_DEFAULTS_KEYS } from './reference-keys.js';
import { isTimeoutSeconds, MAX_TIMER_MS, TIMEOUT_SECONDS_EXPECTED } from './timeouts.js';
import type { ApiProviderConfig, CliBackendConfig, WatchdogConfig } from './types.js';

/** Expected-shape texts of the problems. */
export const E = {
  object: 'an object',
  string: 'a string',
  nonEmpty: 'a non-empty string',
  stringArray: 'an array of strings',
  stringMap: 'an object whose values are strings',
  boolean: 'true or false',
  positiveInt: 'a positive integer',
  nonNegativeInt: 'a non-negative integer',
  ms: `a positive integer of milliseconds (at most ${MAX_TIMER_MS})`,
  boundMs: `a non-negative integer of milliseconds (at most ${MAX_TIMER_MS})`,
  ratio: 'a number from 0.05 to 0.95',
  seconds: TIMEOUT_SECONDS_EXPECTED,
  model: 'a model ref string ("<provider>/<model>" or an alias) or an object { primary, fallbacks }',
} as const;

/** Renders allowed values the way problems show them: `one of "a" | "b"`. */
function oneOf(values: readonly string[]): string {
  return `one of ${values.map((v) => JSON.stringify(v)).join(' | ')}`;
}

function enumOf<const T extends readonly [string, ...string[]]>(values: T) {
  return z.enum(values, { error: oneOf(values) });
}

const str = () => z.string({ error: E.string });
const nonEmpty = () => z.string({ error: E.nonEmpty }).refine((s) => s.trim() !== '', { error: E.nonEmpty });
const stringArray = () => z.array(str(), { error: E.stringArray });
const stringMap = () => z.record(z.string(), str(), { error: E.stringMap });
/** A deadline in seconds, by the one rule of `./timeouts.ts` (also the `--timeout` flag's and `RunRequest.timeoutMs`'s). */
const timeoutSeconds = () => z.number({ error: E.seconds }).refine(isTimeoutSeconds, { error: E.seconds });
const intBetween = (min: number, max: number, expected: string) =>
  z.number({ error: expected }).int({ error: expected }).min(min, { error: expected }).max(max, { error: expected });

/** The keys of a `reliability.watchdog.{fresh,resume}` entry (ms bounds and ratio). */
export const watchdogShape = {
  noOutputTimeoutMs: intBetween(1, MAX_TIMER_MS, E.ms).optional(),
  noOutputTimeoutRatio: z.number({ error: E.ratio }).min(0.05, { error: E.ratio }).max(0.95, { error: E.ratio }).optional(),
  minMs: intBetween(0, MAX_TIMER_MS, E.boundMs).optional(),
  maxMs: intBetween(0, MAX_TIMER_MS, E.boundMs).optional(),
} satisfies Record<keyof WatchdogConfig, z.ZodType>;
const watchdogSchema = z.strictObject(watchdogShape, { error: E.object });

const reliabilitySchema = z.strictObject(
  { watchdog: z.strictObject({ fresh: watchdogSchema.optional(), resume: watchdogSchema.optional() }, { error: E.object }).optional() },
  { error: E.object },
);

const outputMode = () => enumOf(['json', 'jsonl', 'text']);

/** One zod schema per {@link CliBackendConfig} key (`satisfies` keeps the two lists identical). */
const backendShape = {
  command: nonEmpty().optional(),
  args: stringArray().optional(),
  resumeArgs: stringArray().optional(),
  output: outputMode().optional(),
  resumeOutput: outputMode().optional(),
  input: enumOf(['arg', 'stdin']).optional(),
  maxPromptArgChars: intBetween(1, Number.MAX_SAFE_INTEGER, E.positiveInt).optional(),
  env: stringMap().optional(),
  clearEnv: stringArray().optional(),
  modelArg: nonEmpty().optional(),
  modelAliases: stringMap().optional(),
  sessionArg: nonEmpty().optional(),
  sessionArgs: stringArray().optional(),
  sessionMode: enumOf(['always', 'existing', 'none']).optional(),
  sessionIdFields: stringArray().optional(),
  systemPromptArg: nonEmpty().optional(),
  systemPromptMode: enumOf(['append', 'replace']).optional(),
  systemPromptWhen: enumOf(['first', 'always', 'never']).optional(),
  imageArg: nonEmpty().optional(),
  imageMode: enumOf(['repeat', 'list']).optional(),
  serialize: z.boolean({ error: E.boolean }).optional(),
  maxConcurrent: intBetween(1, Number.MAX_SAFE_INTEGER, E.positiveInt).optional(),
  maxQueue: intBetween(0, Number.MAX_SAFE_INTEGER, E.nonNegativeInt).optional(),
  promptSeparator: str().optional(),
  reliability: reliabilitySchema.optional(),
} satisfies Record<keyof CliBackendConfig, z.ZodType>;

/** Every key a `cliBackends.<id>` entry may contain (the spec's keys plus `promptSeparator`, `maxConcurrent`, `maxQueue`). */
export const BACKEND_KEYS: readonly string[] = Object.freeze(Object.keys(backendShape));

const backendSchema = z.strictObject(backendShape, { error: E.object });

const envName = 'an environment variable name';
/** `{ source: "env", provider?, id }` (the reference gateway's SecretRef, env source only). */
const secretRefSchema = z.strictObject(
  {
    source: z.literal('env', { error: '"env" (only environment secret refs are supported)' }),
    provider: str().optional(),
    id: z.string({ error: envName }).regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { error: envName }),
  },
  { error: E.object },
);
const secretSchema = () =>
  z.union([nonEmpty(), secretRefSchema], { error: 'a non-empty string (may contain ${VAR}) or { source: "env", id: "VAR" }' });

const modelEntrySchema = z.union([nonEmpty(), z.looseObject({ id: nonEmpty() }, { error: E.object })], {
  error: 'a model id string or an object { id, … }',
});

/** One zod schema per {@link ApiProviderConfig} key (`satisfies` keeps the two lists identical). */
const providerShape = {
  // Any API name is accepted so that reference-gateway configs carry over; an API safetynet does
  // not speak leaves that provider out (its candidates are then skipped, saying why).
  api: z.string().min(1).optional(),
  baseUrl: nonEmpty().optional(),
  apiKey: secretSchema().optional(),
  headers: z.record(z.string(), secretSchema(), { error: 'an object whose values are strings or { source: "env", id }' }).optional(),
  timeoutMs: intBetween(1, MAX_TIMER_MS, E.ms).optional(),
  timeoutSeconds: timeoutSeconds().optional(),
  models: z.array(modelEntrySchema, { error: 'an array of model ids or { id, … } entries' }).optional(),
  authHeader: z.boolean({ error: E.boolean }).optional(),
} satisfies Record<keyof ApiProviderConfig, z.ZodType>;

/**
 * Keys of a reference gateway provider entry that safetynet accepts and ignores (so its configs
 * carry over): auth modes, request transport overrides, context/token limits, params.
 */
export const IGNORED_PROVIDER_KEYS: readonly string[] = Object.freeze([
  'auth',
  'injectNumCtxForOpenAICompat',
  'request',
  'contextWindow',
  'contextTokens',
  'maxTokens',
  'params',
  'agentRuntime',
]);

/** Every key a `models.providers.<id>` entry may contain (read ones first). */
export const PROVIDER_KEYS: readonly string[] = Object.freeze([...Object.keys(providerShape), ...IGNORED_PROVIDER_KEYS]);

const providerSchema = z.strictObject(
  { ...providerShape, ...Object.fromEntries(IGNORED_PROVIDER_KEYS.map((key) => [key, z.unknown().optional()])) },
  { error: E.object },
);

/** The keys of the object form of `agents.defaults.model` (strict, as in the reference gateway). */
export const MODEL_KEYS: readonly string[] = Object.freeze(['primary', 'fallbacks']);

const modelSchema = z.union(
  [
    nonEmpty(),
    z.strictObject(
      { primary: nonEmpty().optional(), fallbacks: z.array(nonEmpty(), { error: 'an array of model ref strings' }).optional() },
      { error: E.object },
    ),
  ],
  { error: E.model },
);

/** `safetynet.traces`: how many request traces are kept (safetynet's own section, not the reference gateway's). */
const days = 'a positive number of days (at most 3650)';
const tracesShape = {
  maxCount: intBetween(0, 1_000_000, 'an integer from 0 (no traces) to 1000000').optional(),
  maxAgeDays: z.number({ error: days }).positive({ error: days }).max(3650, { error: days }).optional(),
};
/** `safetynet.sessions`: the bounds of transcripts and of the history block of CLI prompts. */
const sessionsShape = {
  maxTurns: intBetween(2, 100_000, 'an integer from 2 to 100000 (turns kept per session key)').optional(),
  maxChars: intBetween(1000, 100_000_000, 'an integer from 1000 to 100000000 (characters kept per session key)').optional(),
  historyChars: intBetween(0, 10_000_000, 'an integer from 0 (no history in CLI prompts) to 10000000').optional(),
};
/** `safetynet.serve`: the HTTP front (`safetynet serve`); defaults in `./serve-defaults.ts`. */
const hostText = 'a host name or IP address to bind, e.g. "127.0.0.1"';
const serveShape = {
  host: z
    .string({ error: hostText })
    .refine((s) => s.trim() !== '', { error: hostText })
    .optional(),
  port: intBetween(0, 65_535, 'an integer port from 0 (any free port) to 65535').optional(),
  apiKeys: z.array(nonEmpty(), { error: 'an array of non-empty API key strings' }).optional(),
  bodyLimitBytes: intBetween(1024, 1_073_741_824, 'an integer number of bytes from 1024 to 1073741824').optional(),
  corsOrigins: z.array(nonEmpty(), { error: 'an array of origins, e.g. ["http://localhost:3000"]' }).optional(),
  drainSeconds: z
    .number({ error: 'a number of seconds from 0 to 3600' })
    .min(0, { error: 'a number of seconds from 0 to 3600' })
    .max(3600, { error: 'a number of seconds from 0 to 3600' })
    .optional(),
};
/** `safetynet.streaming`: the first-token and idle clocks of API attempts. */
const clockSeconds = 'a positive number of seconds (at most 86400)';
const streamingShape = {
  firstTokenSeconds: z.number({ error: clockSeconds }).positive({ error: clockSeconds }).max(86_400, { error: clockSeconds }).optional(),
  idleSeconds: z.number({ error: clockSeconds }).positive({ error: clockSeconds }).max(86_400, { error: clockSeconds }).optional(),
};
/** `safetynet.cooldowns`: the half-open probes of cooling candidates (`docs/failover-policy.md#half-open-probes`). */
const probeSeconds = 'a number of seconds from 0 (no probes) to 3600';
const cooldownsShape = {
  probeIntervalSeconds: z.number({ error: probeSeconds }).min(0, { error: probeSeconds }).max(3600, { error: probeSeconds }).optional(),
};
/** `safetynet.retry`: one retry of the same API candidate on a short Retry-After (`docs/failover-policy.md#same-candidate-retry`). */
const retryShape = {
  sameCandidateMaxMs: intBetween(0, 60_000, 'an integer of milliseconds from 0 (no retry) to 60000').optional(),
};
/** `safetynet.store`: where the state lives, LevelDB or a Redis shared by replicas; defaults in `./store-defaults.ts`. */
const redisUrl = 'a redis:// or rediss:// URL, e.g. "redis://127.0.0.1:6379/0"';
const storeShape = {
  kind: z.enum(['level', 'redis'], { error: '"level" (the embedded default) or "redis"' }).optional(),
  url: z
    .string({ error: redisUrl })
    .refine((s) => /^rediss?:\/\/./.test(s.trim()), { error: redisUrl })
    .optional(),
  keyPrefix: z.string({ error: 'a string every Redis key starts with, e.g. "safetynet:"' }).optional(),
  commandTimeoutMs: intBetween(10, 60_000, 'an integer of milliseconds from 10 to 60000').optional(),
  leaseSeconds: z
    .number({ error: 'a number of seconds from 1 to 3600' })
    .min(1, { error: 'a number of seconds from 1 to 3600' })
    .max(3600, { error: 'a number of seconds from 1 to 3600' })
    .optional(),
  hostId: nonEmpty().optional(),
};
/** The keys of each `safetynet.<section>` (for suggestions). */
export const SAFETYNET_SECTION_KEYS: Readonly<Record<string, readonly string[]>> = Object.freeze({
  traces: Object.freeze(Object.keys(tracesShape)),
  sessions: Object.freeze(Object.keys(sessionsShape)),
  streaming: Object.freeze(Object.keys(streamingShape)),
  cooldowns: Object.freeze(Object.keys(cooldownsShape)),
  retry: Object.freeze(Object.keys(retryShape)),
  serve: Object.freeze(Object.keys(serveShape)),
  store: Object.freeze(Object.keys(storeShape)),
});
/** Every key of the top-level `safetynet` section (for suggestions). */
export const SAFETYNET_KEYS: readonly string[] = Object.freeze(Object.keys(SAFETYNET_SECTION_KEYS));
const safetynetSchema = z.strictObject(
  {
    traces: z.strictObject(tracesShape, { error: E.object }).optional(),
    sessions: z.strictObject(sessionsShape, { error: E.object }).optional(),
    streaming: z.strictObject(streamingShape, { error: E.object }).optional(),
    cooldowns: z.strictObject(cooldownsShape, { error: E.object }).optional(),
    retry: z.strictObject(retryShape, { error: E.object }).optional(),
    serve: z.strictObject(serveShape, { error: E.object }).optional(),
    store: z.strictObject(storeShape, { error: E.object }).optional(),
  },
  { error: E.object },
);

/** The `agents.defaults` keys safetynet reads. */
const defaultsShape = {
  model: modelSchema.optional(),
  models: z
    .record(z.string(), z.looseObject({ alias: nonEmpty().optional() }, { error: 'an object (e.g. {} or { alias: "Opus" })' }), {
      error: 'an object mapping "<provider>/<model>" refs to entries',
    })
    .optional(),
  cliBackends: z.record(z.string(), backendSchema, { error: 'an object mapping backend ids to backend entries' }).optional(),
  timeoutSeconds: timeoutSeconds().optional(),
};

/** Every key `agents.defaults` may contain: the read ones first, then the reference gateway's ignored ones. */
export const DEFAULTS_KEYS: readonly string[] = Object.freeze([...Object.keys(defaultsShape), ...IGNORED_DEFAULTS_KEYS]);

/** Strict like the reference gateway's: a misspelt key (`primray`, `timeoutSecond`) is an error, not silently ignored. */
const defaultsSchema = z.strictObject(
  { ...defaultsShape, ...Object.fromEntries(IGNORED_DEFAULTS_KEYS.map((key) => [key, z.unknown().optional()])) },
  { error: E.object },
);

/** The whole file: only the keys safetynet reads; every other section is ignored. */
export const fileSchema = z.looseObject(
  {
    safetynet: safetynetSchema.optional(),
    models: z
      .looseObject(
        { providers: z.record(z.string(), providerSchema, { error: 'an object mapping provider ids to provider entries' }).optional() },
        { error: E.object },
      )
      .optional(),
    agents: z.looseObject({ defaults: defaultsSchema.optional() }, { error: E.object }).optional(),
  },
  { error: 'an object (the config root)' },
);
