/**
 * `safetynet trace [--last | <request-id>] [--json] [--config f]`: a stored request trace as a
 * readable timeline (states with times, then each attempt with its argv, exit code or HTTP status,
 * reason and session), or as one JSON object for tools.
 */
import type { RequestTrace } from '../store/trace-types.js';
import { formatAttemptLine, formatStep, quote } from '../inspection/verbose.js';
import { configSecrets, createSanitizer } from '../inspection/sanitize.js';
import { EXIT, reportFailure } from './exit-codes.js';
import type { Io } from './io.js';

/** Flags of `safetynet trace`. */
export interface TraceFlags {
  last?: boolean;
  json?: boolean;
  config?: string;
}

/**
 * Print the newest trace (`--last`, or no id) or the trace of `requestId` (a full request id or a
 * unique prefix). Exit 0 when printed, 1 when not found, 2 for bad usage (an id and `--last`, an
 * ambiguous prefix) or a bad config. The trace goes through the one sanitizer again before it is
 * printed (traces stored by an older version, or before a key was configured, leak nothing either).
 */
export async function traceCommand(requestId: string | undefined, flags: TraceFlags, io: Io): Promise<number> {
  if (requestId !== undefined && flags.last) {
    io.stderr('safetynet: pass either --last or a request id, not both [SAFETYNET_USAGE]\n');
    return EXIT.usage;
  }
  const { createRuntime } = await import('../runtime/runtime.js');
  let runtime: Awaited<ReturnType<typeof createRuntime>> | undefined;
  try {
    runtime = await createRuntime(flags.config === undefined ? {} : { configFile: flags.config });
    let trace: RequestTrace | undefined;
    if (requestId === undefined) {
      trace = await runtime.traces.last();
      if (trace === undefined) {
        io.stderr('safetynet: no request traces are stored yet (run `safetynet agent` first)\n');
        return EXIT.failed;
      }
    } else {
      const found = await runtime.traces.find(requestId);
      if (found.length === 0) {
        io.stderr(`safetynet: no trace of request "${requestId}" (traces are kept for a bounded time and count; see safetynet.traces)\n`);
        return EXIT.failed;
      }
      if (found.length > 1) {
        io.stderr(
          `safetynet: "${requestId}" matches ${found.length} requests: ${found.map((t) => t.requestId).join(', ')} — pass more of the id [SAFETYNET_USAGE]\n`,
        );
        return EXIT.usage;
      }
      trace = found[0]!;
    }
    trace = createSanitizer({ secrets: configSecrets(runtime.config) })(trace) as RequestTrace;
    io.stdout(flags.json ? `${JSON.stringify(trace)}\n` : formatTrace(trace));
    return EXIT.ok;
  } catch (error) {
    return reportFailure(error, io);
  } finally {
    await runtime?.close();
  }
}

/** The readable timeline of one trace. */
export function formatTrace(trace: RequestTrace): string {
  const out: string[] = [];
  const outcome =
    trace.status === 'answered'
      ? `answered by ${trace.model ?? '?'}`
      : trace.status === 'error'
        ? 'failed before any attempt'
        : trace.status;
  out.push(`request ${trace.requestId}: ${outcome} in ${trace.durationMs} ms`);
  const facts = [`started ${new Date(trace.startedAt).toISOString()}`];
  if (trace.promptChars !== undefined)
    facts.push(
      `prompt ${trace.promptChars} chars` +
        `${trace.systemPromptChars === undefined ? '' : `, system prompt ${trace.systemPromptChars} chars`}` +
        `${trace.images ? `, ${trace.images} image${trace.images === 1 ? '' : 's'}` : ''}`,
    );
  if (trace.sessionKey === null) facts.push('one-shot (no session key)');
  else if (trace.session === null) facts.push(`session "${trace.sessionKey}" (no CLI session stored)`);
  else
    facts.push(
      `session "${trace.sessionKey}" → ${trace.session.backendId} ${trace.session.cliSessionId} (${trace.session.resumed ? 'resumed' : 'new'})`,
    );
  out.push(`  ${facts.join(' · ')}`);
  if (trace.error !== undefined) out.push(`  error: ${trace.error.message.split('\n')[0]} [${trace.error.code}]`);
  for (const warning of trace.warnings ?? []) out.push(`  warning: ${warning}`);
  out.push('', 'states');
  for (const step of trace.steps) out.push(`  ${formatStep(step)}`);
  out.push('', 'attempts');
  if (trace.attempts.length === 0) out.push('  (none)');
  for (const attempt of trace.attempts) {
    out.push(`  ${formatAttemptLine(attempt)}`);
    if (attempt.argv !== undefined)
      out.push(`      ${attempt.argvPlanned ? 'planned ' : ''}argv: ${[attempt.command ?? '', ...attempt.argv].map(quote).join(' ')}`);
    if (attempt.cwd !== undefined) out.push(`      cwd: ${attempt.cwd}${attempt.stdinChars ? ` · stdin ${attempt.stdinChars} chars` : ''}`);
    if (attempt.session !== undefined) {
      const s = attempt.session;
      const parts = [
        s.resume ? 'resume' : s.newSession ? 'new session' : 'continued',
        ...(s.stored === undefined ? [] : [`stored ${s.stored}`]),
        ...(s.sent === undefined ? [] : [`sent ${s.sent}`]),
      ];
      out.push(`      session: ${parts.join(', ')}`);
    }
    if (attempt.api !== undefined)
      out.push(`      api: ${attempt.api.kind}${attempt.api.baseUrl === undefined ? '' : ` at ${attempt.api.baseUrl}`}`);
  }
  return `${out.join('\n')}\n`;
}
