import { cliBackendContract } from './cli-backend-contract.js';
import { fakeCliBackend } from './harnesses.js';

cliBackendContract(
  'a custom CLI configured under agents.defaults.cliBackends (fixture)',
  { resume: true, stdin: true, systemPrompt: true, images: 'attached' },
  (dir) => fakeCliBackend(`${dir}/fake-cli`),
);

cliBackendContract(
  'a custom CLI without imageArg (paths appended to the prompt)',
  { resume: false, stdin: false, systemPrompt: false, images: 'prompt-path' },
  async (dir) => {
    const harness = await fakeCliBackend(`${dir}/fake-cli`);
    const { imageArg: _imageArg, ...backend } = harness.backend;
    return { ...harness, backend };
  },
);
