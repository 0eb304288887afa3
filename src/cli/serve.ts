/**
 * `safetynet serve`: the HTTP front (`src/serve/`) as a command. Prints a one-line banner on stderr,
 * serves until SIGTERM/SIGINT, then drains: stops accepting, lets in-flight requests finish for
 * `safetynet.serve.drainSeconds`, aborts the rest, closes the store, exits 0.
 */
import { resolveCandidates } from '../config/index.js';
import { redactRedisUrl, type StoreSettings } from '../config/store-defaults.js';
import type { ResolvedConfig } from '../config/types.js';
import { EXIT, reportFailure } from './exit-codes.js';
import type { Io } from './io.js';

/** Flags of `safetynet serve` as parsed by commander. */
export interface ServeFlags {
  /** TCP port (0: any free one). @default `safetynet.serve.port` (8787) */
  port?: number;
  /** Address to bind. @default `safetynet.serve.host` (127.0.0.1) */
  host?: string;
  config?: string;
  /** Log each request (method, URL, status, time; never bodies or keys) to stderr. */
  verbose?: boolean;
}

/** The banner's summary of the default chain: `3 candidates: a → b → c`. */
function chain(config: ResolvedConfig): string {
  try {
    const { candidates } = resolveCandidates(config);
    return `${candidates.length} candidate${candidates.length === 1 ? '' : 's'}: ${candidates.map((c) => c.ref).join(' → ')}`;
  } catch {
    return 'no default model: requests must name one';
  }
}

/**
 * Serve until a signal, then drain. Resolves with the exit code: 0 after a drain, 2 for bad usage
 * or config (e.g. a non-loopback `--host` without API keys), 1 when the server cannot start
 * (e.g. the port is taken).
 */
export async function serveCommand(flags: ServeFlags, io: Io): Promise<number> {
  let stop: (signal: string) => void = () => undefined;
  const stopped = new Promise<string>((resolve) => {
    stop = resolve;
  });
  const onSignal = (signal: string) => stop(signal);
  // `on`, not `once`: a second signal during the drain must not kill the process (the drain is bounded).
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  const [{ createRuntime }, { createServer }] = await Promise.all([import('../runtime/runtime.js'), import('../serve/server.js')]);
  let runtime: Awaited<ReturnType<typeof createRuntime>> | undefined;
  try {
    runtime = await createRuntime({
      ...(flags.config === undefined ? {} : { configFile: flags.config }),
      onWarning: (warning) => io.stderr(`safetynet: warning: ${warning}\n`),
    });
    const server = await createServer(runtime, {
      ...(flags.host === undefined ? {} : { host: flags.host }),
      ...(flags.port === undefined ? {} : { port: flags.port }),
      verbose: flags.verbose === true,
    });
    const url = await server.listen();
    const { apiKeys, drainSeconds } = server.settings;
    io.stderr(
      `safetynet serve listening on ${url} (${chain(runtime.config)}; ` +
        `${apiKeys.length === 0 ? 'no API keys' : `${apiKeys.length} API key${apiKeys.length === 1 ? '' : 's'}`}; drain ${drainSeconds} s; ` +
        `${storeLine(runtime.config.store)})\n`,
    );
    const signal = await stopped;
    io.stderr(`safetynet serve: ${signal}: draining (up to ${drainSeconds} s)\n`);
    await server.close();
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    await runtime?.close();
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
  }
}

/** Where the state lives, for the start line: `state in LevelDB`, or Redis's URL (no password) and the host id. */
function storeLine(store: StoreSettings): string {
  return store.kind === 'redis' ? `state in Redis ${redactRedisUrl(store.url ?? '')} as host "${store.hostId}"` : 'state in LevelDB';
}
