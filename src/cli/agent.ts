/**
 * `safetynet agent`: answer one message through the request machine and print the reply.
 */
import type { RunResult } from '../runtime/request.js';
import { RequestError } from '../errors.js';
import { EXIT, describeError, exitCodeFor } from './exit-codes.js';
import type { Io } from './io.js';

/** Flags of `safetynet agent` as parsed by commander. */
export interface AgentFlags {
  message: string;
  model?: string;
  session?: string;
  systemPrompt?: string;
  image: string[];
  config?: string;
  cwd?: string;
  timeout?: number;
  json?: boolean;
}

/**
 * Run the request; stdout gets the reply text only (or one JSON object with `--json`), stderr the
 * diagnostics. Resolves with the exit code: 0 answered, 1 every candidate failed, 2 bad usage or
 * config, 130 interrupted.
 */
export async function agentCommand(flags: AgentFlags, io: Io): Promise<number> {
  const controller = new AbortController();
  const interrupt = () => controller.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  const { createRuntime } = await import('../runtime/runtime.js');
  let runtime: Awaited<ReturnType<typeof createRuntime>> | undefined;
  try {
    runtime = await createRuntime(flags.config === undefined ? {} : { configFile: flags.config });
    const result = await runtime.run({
      message: flags.message,
      ...(flags.model === undefined ? {} : { model: flags.model }),
      ...(flags.session === undefined ? {} : { sessionKey: flags.session }),
      ...(flags.systemPrompt === undefined ? {} : { systemPrompt: flags.systemPrompt }),
      ...(flags.image.length === 0 ? {} : { images: flags.image.map((path) => ({ path })) }),
      ...(flags.cwd === undefined ? {} : { cwd: flags.cwd }),
      ...(flags.timeout === undefined ? {} : { timeoutMs: flags.timeout * 1000 }),
      signal: controller.signal,
    });
    printResult(result, flags, io);
    return EXIT.ok;
  } catch (error) {
    if (flags.json) io.stdout(`${JSON.stringify(errorJson(error))}\n`);
    io.stderr(`${describeError(error)}\n`);
    return exitCodeFor(error);
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
    await runtime?.close();
  }
}

function printResult(result: RunResult, flags: AgentFlags, io: Io): void {
  if (flags.json) {
    io.stdout(`${JSON.stringify(result)}\n`);
    return;
  }
  io.stdout(result.text.endsWith('\n') ? result.text : `${result.text}\n`);
  const failed = result.attempts.filter((attempt) => !attempt.ok);
  for (const attempt of failed) {
    io.stderr(`safetynet: ${attempt.model} ${attempt.skipped ? 'skipped' : 'failed'} (${attempt.reason ?? 'unknown'}): ${attempt.detail ?? ''}\n`);
  }
  if (failed.length > 0) io.stderr(`safetynet: answered by ${result.model}\n`);
  for (const warning of result.warnings) io.stderr(`safetynet: warning: ${warning}\n`);
}

function errorJson(error: unknown): Record<string, unknown> {
  const base = { error: { code: (error as { code?: string }).code ?? 'UNKNOWN', message: error instanceof Error ? error.message : String(error) } };
  return error instanceof RequestError ? { ...base, requestId: error.requestId, attempts: error.attempts } : base;
}
