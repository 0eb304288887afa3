/**
 * `safetynet agent --inspect[=<port> | =file:<path>]`: stream the request's live inspection events
 *
 * - to the Stately inspector (`--inspect`, `--inspect=<port>`): a loopback relay
 *   (`./inspect-relay.ts`) serves a bridge page and relays the events, converted by
 *   `@statelyai/inspect`'s `createInspector`, over a WebSocket on 127.0.0.1;
 * - or, offline, as JSONL to a file (`--inspect=file:<path>`): one sanitized event per line.
 *
 * This module and the optional `@statelyai/inspect` are imported only when `--inspect` is given.
 * Events carry the prompt (it is the user's own machine) but never an API key.
 */
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { InspectionEvent, Observer } from 'xstate';
import { UsageError } from '../errors.js';
import { createSanitizer, snapshotFields, toInspectionRecord } from '../inspection/sanitize.js';
import type { Io } from './io.js';

/** Where `--inspect` sends the events. */
export type InspectTarget = { kind: 'file'; path: string } | { kind: 'websocket'; port: number };

/** A running inspector. */
export interface InspectSession {
  /** The inspection observer to pass to the request. */
  inspect: Observer<InspectionEvent>;
  /**
   * Deliver what is pending, then stop: the file is flushed and closed; the relay waits (at most
   * `viewerWaitMs`, or until `signal` aborts) for a page to connect if none did and there are
   * events, sends it the kept events, and shuts down. Never rejects.
   */
  close(signal?: AbortSignal): Promise<void>;
}

/** Options of {@link startInspector}. */
export interface StartInspectorOptions {
  /** Credentials scrubbed from every event (`configSecrets(runtime.config)`). */
  secrets?: Iterable<string>;
  /** Where the URL and progress notes go (stderr). */
  io: Pick<Io, 'stderr'>;
  /** How long `close` waits for a page when none connected during the request, ms. @default 30000 */
  viewerWaitMs?: number;
}

/**
 * Parse the value of `--inspect` (`true` when given without a value).
 * @throws {UsageError} `SAFETYNET_USAGE` for anything but nothing, a port, or `file:<path>`.
 */
export function parseInspectFlag(value: true | string): InspectTarget {
  if (value === true || value === '') return { kind: 'websocket', port: 0 };
  if (value.startsWith('file:')) {
    const path = value.slice('file:'.length);
    if (path === '') throw new UsageError('--inspect=file:<path>: the path is missing, e.g. --inspect=file:events.jsonl');
    return { kind: 'file', path: resolve(path) };
  }
  if (/^\d{1,5}$/.test(value) && Number(value) <= 65535) return { kind: 'websocket', port: Number(value) };
  throw new UsageError(
    `--inspect: expected nothing, a port (--inspect=9400) or file:<path> (--inspect=file:events.jsonl), received ${JSON.stringify(value)}`,
  );
}

/**
 * Start the inspector for `target`.
 * @throws {UsageError} when the file cannot be written, the optional `@statelyai/inspect` is not
 *   installed, or the port cannot be bound.
 */
export async function startInspector(target: InspectTarget, options: StartInspectorOptions): Promise<InspectSession> {
  const sanitize = createSanitizer({ secrets: options.secrets ?? [] });
  return target.kind === 'file' ? startFile(target.path, sanitize) : startWebSocket(target.port, sanitize, options);
}

async function startFile(path: string, sanitize: (value: unknown) => unknown): Promise<InspectSession> {
  try {
    // `mode` applies to a new file only: an existing one is narrowed to 0600 before any event (they carry the prompt).
    const handle = await open(path, 'w', 0o600);
    try {
      await handle.chmod(0o600);
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw new UsageError(
      `--inspect=file:${path}: cannot write the file (${(error as NodeJS.ErrnoException).code ?? String(error)}) — pass a writable path`,
      { cause: error },
    );
  }
  const stream = createWriteStream(path, { flags: 'w', mode: 0o600 });
  let failed = false;
  stream.on('error', () => {
    failed = true; // best effort: the request never fails because of its inspector
  });
  return {
    inspect: {
      next(event) {
        if (!failed) stream.write(`${JSON.stringify(toInspectionRecord(event, sanitize))}\n`);
      },
    },
    close: () => new Promise<void>((done) => (failed ? done() : stream.end(() => done()))),
  };
}

async function startWebSocket(
  port: number,
  sanitize: (value: unknown) => unknown,
  options: StartInspectorOptions,
): Promise<InspectSession> {
  let inspectModule: typeof import('@statelyai/inspect');
  let relayModule: typeof import('./inspect-relay.js');
  try {
    [inspectModule, relayModule] = await Promise.all([import('@statelyai/inspect'), import('./inspect-relay.js')]);
  } catch (error) {
    throw new UsageError(
      '--inspect needs the optional dependency @statelyai/inspect: run `npm install @statelyai/inspect`, or use --inspect=file:<path> (JSONL, offline)',
      { cause: error },
    );
  }
  let relay: Awaited<ReturnType<typeof relayModule.startInspectorRelay>>;
  try {
    relay = await relayModule.startInspectorRelay({ port });
  } catch (error) {
    throw new UsageError(
      `--inspect: cannot listen on 127.0.0.1:${port} (${(error as NodeJS.ErrnoException).code ?? String(error)}) — pick another port, e.g. --inspect=9400`,
      { cause: error },
    );
  }
  const inspector = inspectModule.createInspector(
    {
      send: (event) => {
        try {
          relay.publish(JSON.stringify(event));
        } catch {
          // best effort
        }
      },
    },
    {
      serialize: (event) => {
        const copy = { ...event } as Record<string, unknown>;
        if (copy['snapshot'] !== undefined) copy['snapshot'] = snapshotFields(copy['snapshot']);
        return sanitize(copy) as typeof event;
      },
    },
  );
  options.io.stderr(`safetynet: inspector: open ${relay.url} (the Stately inspector; events stream over ${relay.wsUrl}, loopback only)\n`);
  const viewerWaitMs = options.viewerWaitMs ?? 30_000;
  return {
    inspect: inspector.inspect,
    async close(signal) {
      try {
        await new Promise((done) => setTimeout(done, 20)); // the inspector converts events on the next timer tick
        if (relay.viewers === 0 && relay.published > 0 && viewerWaitMs > 0 && !signal?.aborted) {
          options.io.stderr(
            `safetynet: inspector: waiting up to ${Math.round(viewerWaitMs / 1000)} s for ${relay.url} to be opened (Ctrl-C to skip)\n`,
          );
          await relay.waitForViewer(viewerWaitMs, signal);
        }
        await relay.drain(2000);
      } finally {
        inspector.stop();
        await relay.close();
      }
    },
  };
}
