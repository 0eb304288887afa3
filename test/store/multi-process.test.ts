import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/index.js';
import { cleanup, RECORD_BINDINGS, startNode, tempFolder } from './support.js';

// The fixture imports the compiled store: test/global-setup.ts rebuilds dist/ when src/ is newer.

afterEach(cleanup);

const TURNS = 25;

function record(location: string, sessionKey: string, backendId: string, cliSessionId: string) {
  return startNode(RECORD_BINDINGS, [location, sessionKey, backendId, cliSessionId, String(TURNS)]);
}

describe('SessionStore across processes', () => {
  it('two processes started at the same moment both write their bindings', async () => {
    const location = path.join(await tempFolder(), 'state');
    const results = await Promise.all([record(location, 'shared', 'claude-cli', 'A'), record(location, 'shared', 'codex-cli', 'B')]);

    for (const result of results) expect(result, result.stdout + result.stderr).toMatchObject({ exitCode: 0 });
    const bindings = await new SessionStore({ location }).list('shared');
    expect(bindings.map((b) => [b.backendId, b.cliSessionId, b.turns])).toEqual([
      ['claude-cli', 'A', TURNS],
      ['codex-cli', 'B', TURNS],
    ]);
  });

  it('processes updating the same binding at once lose no turn', async () => {
    const location = path.join(await tempFolder(), 'state');
    const results = await Promise.all([1, 2, 3].map(() => record(location, 'chat', 'claude-cli', 'same')));

    for (const result of results) expect(result, result.stdout + result.stderr).toMatchObject({ exitCode: 0 });
    expect((await new SessionStore({ location }).get('chat', 'claude-cli'))?.turns).toBe(3 * TURNS);
  });
});
