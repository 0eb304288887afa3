/**
 * The loopback relay behind `safetynet agent --inspect`: an HTTP + WebSocket server on 127.0.0.1
 * that serves a bridge page embedding the Stately inspector, keeps every inspection event of the
 * run, and sends them (the kept ones first) to each page or receiver that connects.
 *
 * Like `@statelyai/inspect/server`'s `createInspectorServer`, but bound to loopback only (the
 * events carry prompts), refusing WebSocket connections from other web origins, and with a buffer
 * that holds the whole request. Uses `ws`, resolved from `@statelyai/inspect` (its dependency), so
 * it is loaded only when `--inspect` is given.
 */
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

/** The parts of `ws` used here (the package ships no types of its own). */
interface WsSocket {
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: string): void;
  on(event: 'close', listener: () => void): void;
  terminate(): void;
}
interface WsServer {
  on(event: 'connection', listener: (socket: WsSocket) => void): void;
  close(callback?: () => void): void;
}
interface WsModule {
  WebSocketServer: new (options: { server: Server; verifyClient: (info: { origin?: string }) => boolean }) => WsServer;
}

/** Options of {@link startInspectorRelay}. */
export interface InspectorRelayOptions {
  /** TCP port on 127.0.0.1; `0` picks a free one. @default 0 */
  port?: number;
  /** The inspector UI the bridge page embeds (needs the internet in the browser). @default 'https://stately.ai/inspect' */
  inspectorUrl?: string;
  /** Most events kept for late viewers. @default 20000 */
  maxEvents?: number;
}

/** A running relay. */
export interface InspectorRelay {
  /** The page to open: `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Where viewers and receivers connect: `ws://127.0.0.1:<port>`. */
  readonly wsUrl: string;
  /** Connected viewers. */
  readonly viewers: number;
  /** Events published so far. */
  readonly published: number;
  /** Send one serialized inspection event to every viewer, and keep it for later ones. */
  publish(message: string): void;
  /** Resolves true once a viewer is connected, false after `timeoutMs` or when `signal` aborts. */
  waitForViewer(timeoutMs: number, signal?: AbortSignal): Promise<boolean>;
  /** Resolves once every viewer's send buffer is empty (at most `timeoutMs`). */
  drain(timeoutMs: number): Promise<void>;
  /** Disconnect everybody and stop listening. Never rejects. */
  close(): Promise<void>;
}

function bridgePage(inspectorUrl: string): string {
  return `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>safetynet — Stately inspector</title>
<style>html,body,iframe{margin:0;padding:0;width:100%;height:100%;border:0}</style></head>
<body><iframe id="inspector" src="${inspectorUrl}"></iframe>
<script>
  const frame = document.getElementById('inspector');
  const pending = [];
  let ready = false;
  window.addEventListener('message', (e) => {
    if (e.data && e.data.type === '@statelyai.connected') { ready = true; pending.splice(0).forEach((ev) => frame.contentWindow.postMessage(ev, '*')); }
  });
  const ws = new WebSocket('ws://' + location.host);
  ws.onmessage = (e) => { const ev = JSON.parse(e.data); if (ready) frame.contentWindow.postMessage(ev, '*'); else pending.push(ev); };
</script></body></html>`;
}

/**
 * Start the relay on 127.0.0.1.
 *
 * @throws {Error} when `ws` cannot be loaded (the optional `@statelyai/inspect` is not installed)
 *   or the port cannot be bound (`EADDRINUSE`).
 */
export async function startInspectorRelay(options: InspectorRelayOptions = {}): Promise<InspectorRelay> {
  const requireFromInspect = createRequire(createRequire(import.meta.url).resolve('@statelyai/inspect'));
  const { WebSocketServer } = requireFromInspect('ws') as WsModule;
  const maxEvents = options.maxEvents ?? 20_000;
  const page = bridgePage(options.inspectorUrl ?? 'https://stately.ai/inspect');
  const server = createServer((_request, response) => {
    response.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(page);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const origins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  // Browsers send an Origin: only the bridge page may connect; tools (no Origin) may too.
  const wss = new WebSocketServer({ server, verifyClient: ({ origin }) => origin === undefined || origins.has(origin) });
  const kept: string[] = [];
  let published = 0;
  const sockets = new Set<WsSocket>();
  const waiters = new Set<() => void>();
  wss.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    for (const message of kept) socket.send(message);
    for (const wake of waiters) wake();
  });

  return {
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    get viewers() {
      return sockets.size;
    },
    get published() {
      return published;
    },
    publish(message) {
      published++;
      kept.push(message);
      if (kept.length > maxEvents) kept.shift();
      for (const socket of sockets) if (socket.readyState === 1) socket.send(message);
    },
    waitForViewer(timeoutMs, signal) {
      if (sockets.size > 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer);
          waiters.delete(wake);
          signal?.removeEventListener('abort', abort);
          resolve(value);
        };
        const wake = () => done(true);
        const abort = () => done(false);
        const timer = setTimeout(() => done(false), timeoutMs);
        waiters.add(wake);
        if (signal?.aborted) abort();
        else signal?.addEventListener('abort', abort, { once: true });
      });
    },
    async drain(timeoutMs) {
      const until = performance.now() + timeoutMs;
      while ([...sockets].some((socket) => socket.bufferedAmount > 0) && performance.now() < until) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    async close() {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
