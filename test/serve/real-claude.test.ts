/**
 * One request through `safetynet serve` with the REAL `claude` binary as the fallback: the API
 * primary (stub A) is overloaded, Claude Code (pointed at stub B) answers, and the Anthropic SDK
 * client sees a 200 from `claude-cli/opus-4.6`. Uses the conversation rig's chain.
 */
import Anthropic from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/index.js';
import { MODELS, useConversationRig } from '../support/conversation-rig.js';

const currentRig = useConversationRig();
/** A real CLI spawn costs seconds, more on a loaded machine (the test measures no time). */
const SLOW = 180_000;

describe('serve with the real claude as the fallback', () => {
  it(
    'an overloaded API primary falls back to the real Claude Code, invisibly to the SDK client',
    async () => {
      const rig = currentRig();
      rig.api.setModes([{ status: 529 }]);
      rig.claude.setText('Claude answers through serve.');
      const server = await createServer(rig.runtime, { port: 0 });
      try {
        const client = new Anthropic({ baseURL: await server.listen(), apiKey: 'unused', maxRetries: 0 });
        const { data, response } = await client.messages
          .create({ model: MODELS.api, max_tokens: 50, messages: [{ role: 'user', content: 'who answers?' }] })
          .withResponse();
        expect(response.status).toBe(200);
        expect(data.model).toBe(MODELS.claude);
        expect(data.content[0]).toMatchObject({ type: 'text', text: 'Claude answers through serve.' });
        expect(response.headers.get('x-safetynet-attempts')).toBe(`${MODELS.api}=overloaded, ${MODELS.claude}=ok`);
        expect(rig.claude.modelRequests().length).toBeGreaterThan(0);
      } finally {
        await server.close(0);
      }
    },
    SLOW,
  );
});
