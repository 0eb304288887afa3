/**
 * `createServer(runtime, options)`: the HTTP front of a runtime (Fastify 5), OpenAI- and
 * Anthropic-compatible, with health, readiness and metrics routes, API keys, CORS for configured
 * origins, and a draining close. `safetynet serve` (`src/cli/serve.ts`) and embedding gateways use it.
 * Rationale: `docs/serve.md`.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServeSettings } from '../config/serve-defaults.js';
import type { Runtime } from '../runtime/runtime.js';
import { checkBindSafety, corsHeaders, keyChecker, presentedKey } from './access.js';
import { messagesAnswers, messagesSchema, parseMessages } from './anthropic-messages.js';
import { runExchange, type ExchangeContext, type ParsedExchange, type WireAnswers } from './exchange.js';
import { readiness } from './health.js';
import { modelList, modelProblem } from './models.js';
import { chatCompletionsAnswers, chatCompletionsSchema, parseChatCompletions } from './openai-chat.js';
import { problemFor, type HttpProblem } from './status.js';
import { validationProblem } from './validation.js';
import { errorBody, type WireFormat } from './wire-errors.js';
import { configSecrets, createRedactor } from '../inspection/sanitize.js';

/** Options of {@link createServer}; each one defaults to the runtime's `safetynet.serve` config. */
export interface ServeOptions extends Partial<ServeSettings> {
  /** Log each request (method, URL, status, time; never bodies or keys) with Fastify's logger (pino) to stderr. @default false */
  verbose?: boolean;
}

/** A created server. */
export interface SafetynetServer {
  /** The Fastify instance (for `inject` in tests, or extra routes of an embedding gateway). */
  readonly fastify: FastifyInstance;
  /** The settings in effect (options over `runtime.config.serve`). */
  readonly settings: Readonly<ServeSettings>;
  /** Start listening on `settings.host`/`settings.port`; resolves with the base URL, e.g. `http://127.0.0.1:8787`. */
  listen(): Promise<string>;
  /**
   * Stop accepting requests and let the ones in flight finish for up to `drainMs` (default
   * `settings.drainSeconds` × 1000); then abort the rest (their clients get a 503 or a stream error
   * event) and resolve once every connection closed. Does not close the runtime.
   */
  close(drainMs?: number): Promise<void>;
}

/** How often a closing server closes the connections that became idle, in ms. */
const IDLE_SWEEP_MS = 50;
/** After the drain, how long aborted requests get to send their answer before every connection is cut, in ms. */
const ABORT_GRACE_MS = 5_000;

/** Whether `promise` settles within `ms` (the timer never outlives the wait). */
async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const settled = promise.then(
    () => true,
    () => true,
  );
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  try {
    return await Promise.race([settled, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** The routes whose requests the metrics count. */
const MODEL_ROUTES = new Set(['/v1/chat/completions', '/v1/messages']);

/** Pino serializers of the verbose log: the request's method, redacted URL and peer; errors' name and redacted message. */
function logSerializers(redact: (text: string) => string) {
  return {
    req: (request: FastifyRequest) => ({
      method: request.method,
      url: redact(request.url),
      host: request.host,
      remoteAddress: request.ip,
      ...(request.socket?.remotePort === undefined ? {} : { remotePort: request.socket.remotePort }),
    }),
    err: (error: FastifyError) => ({
      type: error.name,
      message: redact(String(error.message)),
      stack: redact(String(error.stack ?? '')),
      ...(error.code === undefined ? {} : { code: error.code }),
    }),
  };
}

/** The wire format of a URL: `/v1/messages…` speaks Anthropic, everything else OpenAI. */
export function wireFormatOf(url: string): WireFormat {
  return url.startsWith('/v1/messages') ? 'anthropic' : 'openai';
}

function sendProblem(reply: FastifyReply, format: WireFormat, problem: HttpProblem): FastifyReply {
  if (problem.retryAfterSeconds !== undefined) void reply.header('retry-after', String(problem.retryAfterSeconds));
  return reply.code(problem.status).send(errorBody(format, problem));
}

/**
 * Create the server (not yet listening). Fastify and prom-client are loaded here, so importing
 * `safetynet` without serving loads neither.
 * @throws {UsageError} `SAFETYNET_USAGE` when the host is not a loopback address and no API key is configured.
 */
export async function createServer(runtime: Runtime, options: ServeOptions = {}): Promise<SafetynetServer> {
  const { verbose, ...overrides } = options;
  const settings: ServeSettings = { ...runtime.config.serve, ...definedOnly(overrides) };
  checkBindSafety(settings.host, settings.apiKeys);
  const [{ default: Fastify }, { createMetrics }] = await Promise.all([import('fastify'), import('./metrics.js')]);
  const fastify = Fastify({
    bodyLimit: settings.bodyLimitBytes,
    // stderr: stdout stays free for output; pino's request serializer logs no bodies, and header keys are redacted anyway.
    // The URL and error texts go through the one redactor (`?key=`, configured and serve keys).
    logger: verbose
      ? {
          level: 'info',
          stream: process.stderr,
          serializers: logSerializers(createRedactor(configSecrets({ ...runtime.config, serve: settings }))),
        }
      : false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false } },
    // New requests during a drain are refused in the client's wire format (below), not Fastify's.
    return503OnClosing: false,
  });
  const context: ExchangeContext = {
    runtime,
    metrics: createMetrics({
      cliStats: () => runtime.cliStats(),
      activeCooldowns: () => runtime.activeCooldowns(),
      failOpenReads: () => runtime.failOpenReads,
      storeHealth: () => runtime.storeHealth(),
    }),
    inFlight: new Set(),
  };

  const checkKey = keyChecker(settings.apiKeys);
  let draining = false;
  fastify.addHook('onRequest', async (request, reply) => {
    if (draining) {
      void reply.header('connection', 'close');
      return sendProblem(reply, wireFormatOf(request.url), {
        status: 503,
        kind: 'overloaded',
        message: 'safetynet serve is shutting down',
      });
    }
    const cors = corsHeaders(request.headers.origin, settings.corsOrigins);
    if (cors !== undefined) void reply.headers(cors);
    if (request.method === 'OPTIONS' && cors !== undefined) return reply.code(204).send();
    if (settings.apiKeys.length > 0 && request.url !== '/healthz' && !checkKey(presentedKey(request.headers))) {
      return sendProblem(reply, wireFormatOf(request.url), {
        status: 401,
        kind: 'authentication',
        message: 'invalid or missing API key: send Authorization: Bearer <key> or x-api-key: <key>',
      });
    }
    return undefined;
  });

  // Every finished answer of a model route (JSON, error, or a stream once it ended) is counted here.
  fastify.addHook('onResponse', async (request, reply) => {
    const endpoint = request.routeOptions.url;
    if (endpoint !== undefined && MODEL_ROUTES.has(endpoint)) context.metrics.request(endpoint, reply.statusCode, reply.elapsedTime);
  });

  fastify.setErrorHandler((error: FastifyError, request, reply) => {
    const format = wireFormatOf(request.url);
    if (error.validation !== undefined) return sendProblem(reply, format, validationProblem(error));
    if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
      return sendProblem(reply, format, {
        status: 413,
        kind: 'request_too_large',
        message: `request body larger than ${settings.bodyLimitBytes} bytes (safetynet.serve.bodyLimitBytes)`,
      });
    if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500)
      return sendProblem(reply, format, { status: error.statusCode, kind: 'invalid_request', message: error.message });
    return sendProblem(reply, format, problemFor(error));
  });
  fastify.setNotFoundHandler((request, reply) =>
    sendProblem(reply, wireFormatOf(request.url), {
      status: 404,
      kind: 'not_found',
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  const modelRoute =
    (wire: WireAnswers, parse: (request: FastifyRequest) => ParsedExchange) => async (request: FastifyRequest, reply: FastifyReply) => {
      const parsed = parse(request);
      const problem = modelProblem(runtime.config, parsed.run.model ?? '');
      if (problem !== undefined) return sendProblem(reply, wire.format, problem);
      await runExchange(context, reply, wire, parsed);
      return reply;
    };
  fastify.post(
    '/v1/chat/completions',
    { schema: { body: chatCompletionsSchema } },
    modelRoute(chatCompletionsAnswers, parseChatCompletions),
  );
  fastify.post('/v1/messages', { schema: { body: messagesSchema } }, modelRoute(messagesAnswers, parseMessages));
  fastify.get('/v1/models', async () => modelList(runtime.config));
  fastify.get('/healthz', async () => ({ status: 'ok' }));
  fastify.get('/readyz', async (_request, reply) => {
    const ready = await readiness(runtime);
    return reply.code(ready.status).send(ready.body);
  });
  fastify.get('/metrics', async (_request, reply) =>
    reply.header('content-type', context.metrics.registry.contentType).send(await context.metrics.registry.metrics()),
  );

  return {
    fastify,
    settings,
    async listen() {
      return fastify.listen({ host: settings.host, port: settings.port });
    },
    async close(drainMs = settings.drainSeconds * 1000) {
      draining = true;
      const closing = fastify.close();
      // A keep-alive connection whose answer finished during the drain would hold the close open:
      // close each connection as soon as it is idle.
      const idle = setInterval(() => fastify.server.closeIdleConnections(), IDLE_SWEEP_MS);
      try {
        if (!(await settlesWithin(closing, drainMs))) {
          for (const controller of context.inFlight) controller.abort();
          // Aborted requests answer at once (503 or a stream error event); then nothing is left to wait for.
          if (!(await settlesWithin(closing, ABORT_GRACE_MS))) fastify.server.closeAllConnections();
        }
        await closing;
      } finally {
        clearInterval(idle);
      }
    },
  };
}

/** The keys of `value` whose value is not `undefined`. */
function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
