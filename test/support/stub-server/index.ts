/**
 * A loopback stub of the provider APIs the real AI CLIs and the official SDKs talk to: the
 * Anthropic Messages API, the OpenAI Responses / Chat Completions APIs and the Gemini API (one
 * module each: `anthropic-messages.ts`, `openai-responses.ts`, `openai-completions.ts`,
 * `gemini-generate.ts`).
 *
 * One `node:http` server bound to 127.0.0.1 on an ephemeral port. It reads every request body,
 * records a summary of it, and answers model calls according to a list of {@link StubMode}s applied
 * to successive model calls (the last one repeats). Everything it does is bounded: hung responses
 * end on their own after `maxHangMs`, a request budget caps model calls, and `close()` destroys
 * every socket still open. This file holds what the protocols share: the server, the routing, the
 * modes (fault injection) and the request log.
 *
 * The wire formats follow `/work/shared/notes/real-clis.md` §13 and the fixtures README.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { anthropicMessages } from './anthropic-messages.js';
import { geminiGenerate } from './gemini-generate.js';
import { openaiCompletions } from './openai-completions.js';
import { openaiResponses } from './openai-responses.js';
import { isRecord, pieces, type ReplyContext, type StubProtocol, type StubReply } from './protocol.js';
import { recordRequest } from './request-log.js';
import { toolUseReply } from './tool-use.js';
import type { RecordedRequest, StubCall, StubMode, StubServer, StubServerOptions } from './types.js';

export { summarizeBody } from './body-summary.js';
export type * from './types.js';

const DEFAULT_TEXT = 'Hello from the stub.';

/** The model-call routes, in the order they are matched (count_tokens is routed before them). */
const PROTOCOLS: readonly StubProtocol[] = [anthropicMessages, openaiResponses, openaiCompletions, geminiGenerate];

/** Label of a mode, for {@link RecordedRequest.mode}. */
function modeLabel(mode: StubMode): string {
  return typeof mode === 'string' ? mode : `status:${mode.status}`;
}

/**
 * Starts a stub server on 127.0.0.1 (ephemeral port). Close it with {@link StubServer.close}.
 *
 * @example
 * const stub = await startStubServer({ modes: [{ status: 529 }, 'ok'], text: 'Hi' });
 * // … point a CLI at stub.url …
 * await stub.close();
 */
export async function startStubServer(options: StubServerOptions = {}): Promise<StubServer> {
  let modes: StubMode[] | ((call: StubCall) => StubMode) = options.modes ?? ['ok'];
  let cursor = 0;
  let text = options.text ?? DEFAULT_TEXT;
  const budget = options.requestBudget ?? 400;
  const maxHangMs = options.maxHangMs ?? 120_000;
  const started = Date.now();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let modelCalls = 0;
  let closed = false;

  const nextMode = (call: StubCall): StubMode => {
    if (typeof modes === 'function') return modes(call);
    const list = modes.length > 0 ? modes : (['ok'] as StubMode[]);
    const mode = list[Math.min(cursor, list.length - 1)] ?? 'ok';
    cursor += 1;
    return mode;
  };

  /** Keeps a response open (hang/stall) until `maxHangMs`, then destroys it. */
  const holdOpen = (res: ServerResponse): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      res.destroy();
    }, maxHangMs);
    timer.unref();
    timers.add(timer);
    res.on('close', () => {
      clearTimeout(timer);
      timers.delete(timer);
    });
  };

  const sendJson = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const payload = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(payload)),
      ...headers,
    });
    res.end(payload);
  };

  const sendSse = (res: ServerResponse, events: string[], headers: Record<string, string> = {}): void => {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...headers,
    });
    for (const e of events) res.write(e);
    res.end();
  };

  /** Writes a reply: its JSON with its status, or a 200 SSE stream. */
  const send = (res: ServerResponse, reply: StubReply, headers: Record<string, string>): void => {
    if ('events' in reply) sendSse(res, reply.events, headers);
    else sendJson(res, reply.status, reply.json, headers);
  };

  const handleModel = (protocol: StubProtocol, rec: RecordedRequest, res: ServerResponse): void => {
    const index = modelCalls;
    modelCalls += 1;
    rec.modelCall = index;
    const body = isRecord(rec.json) ? rec.json : {};
    const stream = protocol.streams?.(rec.path) ?? body['stream'] === true;
    const requestId = `req_stub_${index}`;
    const reqIdHeader: Record<string, string> = { [protocol.requestIdHeader]: requestId };

    let mode: StubMode;
    if (index >= budget) {
      mode = { status: 503, message: 'stub request budget exhausted' };
      rec.mode = 'budget:503';
    } else {
      mode = nextMode({ index, api: protocol.api, stream, request: rec });
      rec.mode = modeLabel(mode);
    }

    if (typeof mode === 'object') {
      const headers: Record<string, string> = { ...reqIdHeader };
      if (mode.retryAfter !== undefined) headers['retry-after'] = String(mode.retryAfter);
      sendJson(res, mode.status, protocol.error(mode, requestId), headers);
      return;
    }
    if (mode === 'hang') {
      holdOpen(res);
      return;
    }
    if (mode === 'badjson') {
      const payload = 'this is not JSON {';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(payload.length), ...reqIdHeader });
      res.end(payload);
      return;
    }

    const huge = mode.startsWith('huge:') ? Number(mode.slice('huge:'.length)) : undefined;
    const ctx = {
      id: `${protocol.idPrefix}_stub_${index}`,
      model: protocol.model?.(rec.path) ?? (typeof body['model'] === 'string' ? body['model'] : 'stub-model'),
      text:
        huge !== undefined
          ? 'x'.repeat(huge)
          : mode === 'echo'
            ? `echo: ${rec.body?.lastUserText ?? ''} turns=${rec.body?.turns ?? 0}`
            : text,
      body,
      stream,
      requestId,
    };
    if (mode === 'stall') {
      const reply = protocol.ok({ ...ctx, stream: true });
      const first = 'events' in reply ? reply.events[0] : undefined;
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...reqIdHeader });
      if (first !== undefined) res.write(first);
      holdOpen(res);
      return;
    }
    if (mode === 'reset') {
      const ok = protocol.ok({ ...ctx, stream: true });
      const events = 'events' in ok ? ok.events : [];
      const firstPiece = JSON.stringify(pieces(ctx.text)[0] ?? '');
      const upTo = events.findIndex((event) => event.includes(firstPiece));
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', ...reqIdHeader });
      for (const event of events.slice(0, upTo + 1)) res.write(event);
      const keepAlive = protocol.keepAlive?.(ctx);
      if (keepAlive !== undefined) res.write(keepAlive);
      // Give the client the time to read what was written: a reset drops the data it has not read.
      const timer = setTimeout(() => {
        timers.delete(timer);
        res.socket?.resetAndDestroy();
      }, 100);
      timers.add(timer);
      return;
    }
    if (mode.startsWith('midstream:')) {
      send(res, midstreamError(protocol, ctx, mode.slice('midstream:'.length) || 'api_error'), reqIdHeader);
      return;
    }
    if (mode.startsWith('sseerror:')) {
      send(res, protocol.streamError(ctx, mode.slice('sseerror:'.length) || 'api_error'), reqIdHeader);
      return;
    }
    if (mode === 'tooluse') {
      send(res, toolUseReply(protocol.api, ctx) ?? protocol.ok(ctx), reqIdHeader);
      return;
    }
    send(res, protocol.ok(ctx), reqIdHeader); // ok / echo
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= 64 * 1024 * 1024) chunks.push(c);
    });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      if (closed) {
        res.destroy();
        return;
      }
      const rec = recordRequest(req, requests.length, started, 'not_found', Buffer.concat(chunks).toString('utf8'));
      const { method, path } = rec;
      requests.push(rec);

      const protocol = method === 'POST' ? PROTOCOLS.find((p) => p.path.test(path)) : undefined;
      if (method === 'POST' && /\/messages\/count_tokens$/.test(path)) {
        rec.kind = 'anthropic.count_tokens';
        sendJson(res, 200, { input_tokens: 42 });
      } else if (protocol !== undefined) {
        rec.kind = protocol.kind;
        handleModel(protocol, rec, res);
      } else if (method === 'GET' && /\/models$/.test(path)) {
        rec.kind = 'models';
        sendJson(res, 200, { object: 'list', data: [], has_more: false, first_id: null, last_id: null });
      } else {
        res.writeHead(404, { 'content-type': 'application/json' });
        res.end(method === 'HEAD' ? undefined : JSON.stringify({ error: { message: `stub: no route for ${method} ${path}` } }));
      }
    });
  });

  // WebSocket attempts (Codex with some configs): refuse with 426, end the socket.
  server.on('upgrade', (req: IncomingMessage, socket: Socket) => {
    requests.push(recordRequest(req, requests.length, started, 'websocket'));
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 426 Upgrade Required\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  });

  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  server.on('clientError', (_err, socket) => {
    socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    modelRequests: () => requests.filter((r) => r.modelCall !== undefined),
    setModes(next) {
      modes = next;
      cursor = 0;
    },
    setText(next) {
      text = next;
    },
    close() {
      closing ??= new Promise<void>((resolve) => {
        closed = true;
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
      });
      return closing;
    },
  };
}

/**
 * `midstream:<type>`: the success stream up to its first text delta, then the protocol's in-stream
 * error (a provider that fails after the first token). A non-streaming request gets the HTTP error.
 */
function midstreamError(protocol: StubProtocol, ctx: ReplyContext, errType: string): StubReply {
  const failure = protocol.streamError(ctx, errType);
  if (!ctx.stream || !('events' in failure)) return failure;
  const ok = protocol.ok(ctx);
  if (!('events' in ok)) return failure;
  const firstPiece = JSON.stringify(pieces(ctx.text)[0] ?? '');
  const upTo = ok.events.findIndex((event) => event.includes(firstPiece));
  return { events: [...ok.events.slice(0, upTo + 1), failure.events.at(-1) ?? ''] };
}
