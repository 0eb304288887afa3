/**
 * The Prometheus metrics of `safetynet serve` (`GET /metrics`), in a registry owned by one server
 * (never prom-client's global one, so two servers in one process do not mix their counts).
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RequestAttempt } from '../errors.js';
import type { CliStats } from '../runtime/cli-turns.js';
import type { CooldownEntry } from '../store/index.js';
import type { StoreHealth } from '../store/ports.js';

/** What the scrape-time metrics read from the runtime. */
export interface MetricsSource {
  /** The CLI turns running and waiting, per backend. */
  cliStats(): CliStats;
  /** The cooldowns in force now. */
  activeCooldowns(): Promise<readonly CooldownEntry[]>;
  /** Cooldown reads that failed open so far (the shared store was unavailable). */
  failOpenReads(): number;
  /** A check of the state store (never rejects). */
  storeHealth(): Promise<StoreHealth>;
}

/** Latency buckets in seconds: from 5 ms (API answers on loopback) to 10 min (the default attempt deadline). */
const LATENCY_BUCKETS = [0.005, 0.025, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

/** The server's metrics and the helpers that record them. */
export interface ServeMetrics {
  /** The registry `GET /metrics` renders. */
  readonly registry: Registry;
  /** Count one answered HTTP request of a model endpoint, with its status and duration (ms). */
  request(endpoint: string, status: number, durationMs: number): void;
  /** Count one attempt as the runtime reports it (`onAttempt`). */
  attempt(attempt: RequestAttempt): void;
  /** Count a request answered by another candidate than its first one. */
  fallback(): void;
  /** Record a stream's time to its first byte of content (ms). */
  firstToken(ms: number): void;
  /** One more (+1) or one fewer (−1) request in flight. */
  inFlight(delta: 1 | -1): void;
}

/**
 * Create the metrics: `safetynet_requests_total{endpoint,status}`,
 * `safetynet_attempts_total{model,backend,outcome,reason}`, `safetynet_fallbacks_total`,
 * `safetynet_request_duration_seconds`, `safetynet_time_to_first_token_seconds`,
 * `safetynet_in_flight_requests`, and `safetynet_cli_processes{backend}` / `safetynet_cli_waiting{backend}`
 * (read from `cliStats` at scrape time: turns holding one of the backend's `maxConcurrent` slots, and
 * turns waiting for one), `safetynet_cooldowns_active{key,reason}` (1 per cooldown in force, read
 * from the store at scrape time), `safetynet_store_fail_open_total` (cooldown reads routed as if
 * nothing cooled down because the shared store was unavailable) and `safetynet_store_up{kind}` (1
 * when the store answered a check at scrape time, else 0).
 */
export function createMetrics(source: MetricsSource): ServeMetrics {
  const { cliStats, activeCooldowns } = source;
  const registry = new Registry();
  const registers = [registry];
  const requests = new Counter({
    name: 'safetynet_requests_total',
    help: 'HTTP requests to the model endpoints, by endpoint and status code',
    labelNames: ['endpoint', 'status'] as const,
    registers,
  });
  const attempts = new Counter({
    name: 'safetynet_attempts_total',
    help: 'Candidate attempts, by model ref, backend, outcome (ok, failed, skipped) and failure reason',
    labelNames: ['model', 'backend', 'outcome', 'reason'] as const,
    registers,
  });
  const fallbacks = new Counter({ name: 'safetynet_fallbacks_total', help: 'Requests answered by a fallback candidate', registers });
  const duration = new Histogram({
    name: 'safetynet_request_duration_seconds',
    help: 'Duration of model requests, from arrival to the last byte',
    labelNames: ['endpoint'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const ttft = new Histogram({
    name: 'safetynet_time_to_first_token_seconds',
    help: 'Streams: time from arrival to the first byte of content',
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const inFlight = new Gauge({ name: 'safetynet_in_flight_requests', help: 'Model requests being answered now', registers });
  /** A per-backend gauge of the CLI turns, read at scrape time. */
  const cliGauge = (name: string, help: string, field: 'running' | 'waiting'): void => {
    new Gauge({
      name,
      help,
      labelNames: ['backend'] as const,
      registers,
      collect() {
        this.reset();
        for (const [backend, stats] of Object.entries(cliStats().byBackend)) this.set({ backend }, stats[field]);
      },
    });
  };
  cliGauge(
    'safetynet_cli_processes',
    "CLI turns running now (each holds one of its backend's maxConcurrent slots: one child process)",
    'running',
  );
  new Gauge({
    name: 'safetynet_cooldowns_active',
    help: 'Cooldowns in force now, by cooled key (a model ref or a provider) and the reason of the latest failure',
    labelNames: ['key', 'reason'] as const,
    registers,
    async collect() {
      this.reset();
      // A store that cannot be read leaves the gauge empty; /readyz reports the store.
      const entries = await activeCooldowns().catch(() => []);
      for (const entry of entries) this.set({ key: entry.key, reason: entry.reason }, 1);
    },
  });
  cliGauge('safetynet_cli_waiting', 'CLI turns waiting for a slot of their backend (at most maxQueue each)', 'waiting');
  new Counter({
    name: 'safetynet_store_fail_open_total',
    help: 'Cooldown reads routed as if nothing cooled down, because the shared store was unavailable',
    registers,
    collect() {
      this.reset();
      this.inc(source.failOpenReads());
    },
  });
  new Gauge({
    name: 'safetynet_store_up',
    help: 'Whether the state store (LevelDB folder or Redis) answered a check at scrape time (1) or not (0)',
    labelNames: ['kind'] as const,
    registers,
    async collect() {
      this.reset();
      const health = await source.storeHealth();
      this.set({ kind: health.kind }, health.ok ? 1 : 0);
    },
  });

  return {
    registry,
    request: (endpoint, status, durationMs) => {
      requests.inc({ endpoint, status: String(status) });
      duration.observe({ endpoint }, durationMs / 1000);
    },
    attempt: (attempt) => {
      const outcome = attempt.ok ? 'ok' : attempt.skipped ? 'skipped' : 'failed';
      attempts.inc({
        model: attempt.model,
        backend: attempt.backend,
        outcome,
        reason: attempt.ok ? '' : String(attempt.reason ?? 'unknown'),
      });
    },
    fallback: () => fallbacks.inc(),
    firstToken: (ms) => ttft.observe(ms / 1000),
    inFlight: (delta) => inFlight.inc(delta),
  };
}
