import { REAL_CLI_TEST_TIMEOUT_MS } from '../support/real-cli.js';
import { cliBackendContract } from './cli-backend-contract.js';
import { claudeHarness } from './harnesses.js';

// The real Claude Code binary (devDependency) against a loopback Anthropic Messages stub.
cliBackendContract(
  'claude-cli (real claude binary)',
  { resume: true, stdin: true, systemPrompt: true, images: 'prompt-path' },
  claudeHarness,
  { timeoutMs: REAL_CLI_TEST_TIMEOUT_MS },
);
