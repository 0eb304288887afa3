// A loopback Anthropic Messages stub for the benchmarks (the tests' full stub is TypeScript in
// test/support/stub-server/). 127.0.0.1 only, ephemeral port. Modes, per server:
//   'ok'            200 SSE stream: message_start … content_block_delta … message_stop
//   { status }      the Anthropic error JSON with that HTTP status (e.g. 529 overloaded_error)
//   'hang'          reads the request and never answers (destroyed after maxHangMs, or on close())
// It records, in performance.now() time of this process, when each request arrived and when each
// error response was sent, so that "error → next candidate's request" can be measured.
import { createServer } from 'node:http';

const ERROR_TYPES = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

function sse(event, data) {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

function messageStream(id, model, text) {
  const usage = { input_tokens: 21, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 1 };
  return [
    sse('message_start', {
      type: 'message_start',
      message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage },
    }),
    sse('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
    sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } }),
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }),
    sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } }),
    sse('message_stop', { type: 'message_stop' }),
  ].join('');
}

/**
 * @param {{ mode?: 'ok' | 'hang' | { status: number }, text?: string, maxHangMs?: number, maxBodyBytes?: number }} options
 */
export async function startStub({ mode = 'ok', text = 'Hello from the bench stub.', maxHangMs = 30_000, maxBodyBytes = 1 << 20 } = {}) {
  const sockets = new Set();
  const state = { mode, requests: 0, lastRequestAt: Number.NaN, lastErrorSentAt: Number.NaN };
  const server = createServer((req, res) => {
    const arrivedAt = performance.now();
    let size = 0;
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > maxBodyBytes) req.destroy();
    });
    req.on('end', () => {
      state.requests += 1;
      state.lastRequestAt = arrivedAt;
      const id = `msg_bench_${state.requests}`;
      const current = state.mode;
      if (req.method !== 'POST' || !req.url?.startsWith('/v1/messages')) {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"type":"error","error":{"type":"not_found_error","message":"not found"}}');
      } else if (current === 'hang') {
        const timer = setTimeout(() => res.destroy(), maxHangMs);
        res.on('close', () => clearTimeout(timer));
      } else if (typeof current === 'object') {
        const type = ERROR_TYPES[current.status] ?? (current.status >= 500 ? 'api_error' : 'invalid_request_error');
        const body = JSON.stringify({
          type: 'error',
          error: { type, message: type === 'overloaded_error' ? 'Overloaded' : `Error ${current.status}` },
          request_id: `req_${id}`,
        });
        res.on('finish', () => {
          state.lastErrorSentAt = performance.now();
        });
        res
          .writeHead(current.status, {
            'content-type': 'application/json',
            'request-id': `req_${id}`,
            'content-length': Buffer.byteLength(body),
          })
          .end(body);
      } else {
        res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'request-id': `req_${id}` });
        res.end(messageStream(id, 'bench-model', text));
      }
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    state,
    setMode(next) {
      state.mode = next;
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback URL on which nothing listens (connections are refused). */
export async function refusedUrl() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
