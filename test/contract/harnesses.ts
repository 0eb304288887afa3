/**
 * Contract harnesses: the real `claude`, `codex` and `gemini` binaries pointed at a loopback stub, and the
 * fixture CLI (`test/fixtures/bin/fake-cli.mjs`) configured as a custom backend.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import {
  claudeBin,
  claudeStubEnv,
  codexBin,
  codexStubEnv,
  CODEX_STUB_MODEL,
  geminiBin,
  geminiStubEnv,
  GEMINI_STUB_MODEL,
} from '../support/real-cli.js';
import { startStubServer, type StubServer } from '../support/stub-server/index.js';
import { fakeCliEntry } from '../support/fake-cli.js';
import type { ContractHarness } from './cli-backend-contract.js';

function stubModes(stub: StubServer): ContractHarness['setMode'] {
  return (mode) => stub.setModes([mode === 'ok' ? 'echo' : mode === 'auth' ? { status: 401 } : 'hang']);
}

function lastModelBody(stub: StubServer) {
  return stub.modelRequests().at(-1)?.body;
}

/** The built-in `claude-cli` backend running the real Claude Code against an Anthropic stub. */
export async function claudeHarness(dir: string): Promise<ContractHarness> {
  const stub = await startStubServer({ modes: ['echo'] });
  const home = join(dir, 'claude-home');
  await mkdir(home, { recursive: true });
  return {
    backendId: 'claude-cli',
    backend: { command: claudeBin, env: claudeStubEnv(stub, home) },
    model: 'claude-cli/opus-4.6',
    envMarker: `HOME=${home}`,
    setMode: stubModes(stub),
    lastImageCount: () => lastModelBody(stub)?.imageCount ?? 0,
    lastPrompt: () => lastModelBody(stub)?.lastUserText ?? '',
    lastSystemPrompt: () => (lastModelBody(stub)?.system ?? []).join('\n'),
    close: () => stub.close(),
  };
}

/** The built-in `codex-cli` backend running the real Codex against an OpenAI Responses stub. */
export async function codexHarness(dir: string): Promise<ContractHarness> {
  const stub = await startStubServer({ modes: ['echo'] });
  const home = join(dir, 'codex-home');
  await mkdir(home, { recursive: true });
  const env = codexStubEnv(stub, home);
  return {
    backendId: 'codex-cli',
    backend: { command: codexBin, env },
    model: `codex-cli/${CODEX_STUB_MODEL}`,
    envMarker: `CODEX_HOME=${env.CODEX_HOME}`,
    setMode: stubModes(stub),
    lastImageCount: () => lastModelBody(stub)?.imageCount ?? 0,
    lastPrompt: () => lastModelBody(stub)?.lastUserText ?? '',
    lastSystemPrompt: () => '',
    close: () => stub.close(),
  };
}

/**
 * The built-in `gemini-cli` backend running the real Gemini CLI against the stub's Gemini API, with
 * its own HOME (settings that keep it off the network: `geminiStubEnv`). Its `TMPDIR` is left out, so
 * every run gets safetynet's private temp folder (`src/actors/cli/temp-dir.ts`), as a user's would.
 */
export async function geminiHarness(dir: string): Promise<ContractHarness> {
  const stub = await startStubServer({ modes: ['echo'] });
  const home = join(dir, 'gemini-home');
  await mkdir(home, { recursive: true });
  const { TMPDIR: _ownTmp, ...env } = geminiStubEnv(stub, home);
  return {
    backendId: 'gemini-cli',
    backend: { command: geminiBin, env },
    model: `gemini-cli/${GEMINI_STUB_MODEL}`,
    envMarker: `HOME=${home}`,
    setMode: stubModes(stub),
    lastImageCount: () => lastModelBody(stub)?.imageCount ?? 0,
    lastPrompt: () => lastModelBody(stub)?.lastUserText ?? '',
    lastSystemPrompt: () => '',
    close: () => stub.close(),
  };
}

/**
 * The fixture CLI as a custom backend (`fake-cli`): Claude-like JSON output, `--session-id` on the
 * first turn and `--resume` after, `--system`, `--image`, and a session bound to its cwd.
 */
export async function fakeCliBackend(dir: string): Promise<ContractHarness> {
  await mkdir(dir, { recursive: true });
  const lastCall = (): { prompt: string; system: string; images: number } => {
    try {
      return JSON.parse(readFileSync(join(dir, 'last-call.json'), 'utf8'));
    } catch {
      return { prompt: '', system: '', images: 0 };
    }
  };
  const id = `fake-cli-${Math.random().toString(36).slice(2, 8)}`;
  return {
    backendId: id,
    backend: fakeCliEntry(dir),
    model: `${id}/default`,
    envMarker: `FAKE_CLI_STATE=${dir}`,
    setMode: (mode) => writeFileSync(join(dir, 'modes.json'), JSON.stringify([mode])),
    lastImageCount: () => lastCall().images,
    lastPrompt: () => lastCall().prompt,
    lastSystemPrompt: () => lastCall().system,
    close: async () => undefined,
  };
}
