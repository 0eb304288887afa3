import { describe, expect, it } from 'vitest';
import { toMermaid } from '../../src/machines/diagram.js';
import { requestMachine } from '../../src/machines/request-machine.js';

describe('visualizations/', () => {
  it('visualizations/request.mmd is generated from the request machine (npm run visualize rewrites it)', async () => {
    await expect(toMermaid(requestMachine)).toMatchFileSnapshot('../../visualizations/request.mmd');
  });

  it('the request diagram shows every design-card state, guard, actor and delay by name', () => {
    const diagram = toMermaid(requestMachine);
    for (const name of ['selecting-model', 'spawning-cli', 'parsing', 'persisting-session', 'falling-back', 'answered', 'failed', 'aborted']) {
      expect(diagram).toContain(`"${name}"`);
    }
    for (const name of ['invoke runCliTurn', 'after attemptTimeout', '[isStaleStoredSession]', '[hasNextCandidate]', 'CANCEL']) {
      expect(diagram).toContain(name);
    }
  });
});
