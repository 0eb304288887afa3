import { describe, expect, it } from 'vitest';
import { toDot, toMermaid, toStatelyJson } from '../../src/machines/visualize.js';
import { requestMachine } from '../../src/machines/request-machine.js';

// `npm run visualize` rewrites these files from the machine definitions (vitest --update) and renders
// the SVG from the DOT file; here they are compared, so a stale diagram fails the suite.
describe('visualizations/ are generated from the machines', () => {
  it('request.mmd (Mermaid stateDiagram-v2) matches the request machine', async () => {
    await expect(toMermaid(requestMachine)).toMatchFileSnapshot('../../visualizations/request.mmd');
  });

  it('request.dot (Graphviz, rendered to request.svg) matches the request machine', async () => {
    await expect(toDot(requestMachine)).toMatchFileSnapshot('../../visualizations/request.dot');
  });

  it('request.json (Stately visualizer import) matches the request machine', async () => {
    await expect(toStatelyJson(requestMachine)).toMatchFileSnapshot('../../visualizations/request.json');
  });

  it('the request diagram shows every design-card state, guard, actor and delay by name', () => {
    const diagram = toMermaid(requestMachine);
    for (const name of [
      'selecting-model',
      'calling-api',
      'spawning-cli',
      'parsing',
      'persisting-session',
      'falling-back',
      'answered',
      'failed',
      'aborted',
    ]) {
      expect(diagram).toContain(`"${name}"`);
    }
    for (const name of [
      'invoke runCliTurn',
      'invoke callApi',
      'after attemptTimeout',
      '[isStaleStoredSession]',
      '[isSessionCurrent]',
      '[isSessionBehind]',
      '[isCliCandidate and hasHistory]',
      '[hasNextCandidate and not isOutputSent]',
      '[isSkipped and hasNextCandidate]',
      'CANCEL',
      'request_spawning_cli --> request_spawning_cli : cli.retry',
    ]) {
      expect(diagram).toContain(name);
    }
  });

  it('the Stately export keeps every named guard, action and actor', () => {
    const json = toStatelyJson(requestMachine);
    for (const name of [
      '"loadSession"',
      '"callApi"',
      '"isStaleStoredSession"',
      'hasNextCandidate and not isOutputSent',
      '"logFailedAttempt"',
      '"attemptTimeout"',
      '"resumeSession"',
      '"catchUpSession"',
      '"reseedSession"',
      '"startFreshSession"',
    ])
      expect(json).toContain(name);
    expect(() => JSON.parse(json)).not.toThrow();
  });
});
