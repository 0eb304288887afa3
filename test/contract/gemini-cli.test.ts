import { REAL_CLI_TEST_TIMEOUT_MS } from '../support/real-cli.js';
import { cliBackendContract } from './cli-backend-contract.js';
import { geminiHarness } from './harnesses.js';

// The real Gemini CLI (devDependency) against the stub's loopback Gemini API. No system prompt flag,
// and images are not attached (gemini loads `@<path>` files only inside its workspace).
cliBackendContract('gemini-cli (real gemini binary)', { resume: true, stdin: true, systemPrompt: false, images: false }, geminiHarness, {
  timeoutMs: REAL_CLI_TEST_TIMEOUT_MS,
});
