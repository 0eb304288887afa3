import { REAL_CLI_TEST_TIMEOUT_MS } from '../support/real-cli.js';
import { cliBackendContract } from './cli-backend-contract.js';
import { codexHarness } from './harnesses.js';

// The real Codex binary (devDependency) against a loopback OpenAI Responses stub.
cliBackendContract('codex-cli (real codex binary)', { resume: true, stdin: true, systemPrompt: false, images: 'attached' }, codexHarness, {
  timeoutMs: REAL_CLI_TEST_TIMEOUT_MS,
});
