/**
 * `safetynet cooldowns [list] [--json]` and `safetynet cooldowns clear <model-ref|provider> | --all`
 * as a user runs them, after a real failure of the fixture CLI cooled its backend down.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, fakeSandbox, safetynet, setModes } from './support.js';

afterEach(cleanup);

describe('safetynet cooldowns', () => {
  it('lists the auth cooldown a failure wrote, clears it by model ref, and then lists none', async () => {
    const box = await fakeSandbox({ model: { primary: 'fake/default' } });
    setModes(box.fakeState, ['auth']);
    const failed = await safetynet(box, ['agent', '--message', 'hi', '--config', box.config]);
    expect(failed.exitCode).toBe(1);

    const listed = await safetynet(box, ['cooldowns', '--config', box.config]);
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(
      /^KEY +SCOPE +REASON +FAILURES +ENDS IN +BLOCKS\nfake +provider +auth +1 +(9m \d+s|10m 0s) +fake\/default$/,
    );
    const json = await safetynet(box, ['cooldowns', 'list', '--json', '--config', box.config]);
    expect(JSON.parse(json.stdout)).toEqual([
      expect.objectContaining({ key: 'fake', scope: 'provider', reason: 'auth', blocks: ['fake/default'] }),
    ]);

    const cleared = await safetynet(box, ['cooldowns', 'clear', 'fake/default', '--config', box.config]);
    expect([cleared.exitCode, cleared.stdout]).toEqual([0, 'cleared 1 cooldown: fake']);
    const none = await safetynet(box, ['cooldowns', '--config', box.config]);
    expect([none.exitCode, none.stdout, none.stderr]).toEqual([0, '', 'safetynet: no cooldowns in force']);
  });

  it('clear with neither a target nor --all, with both, or with an unknown model ref is a usage error (exit 2) that says what to pass', async () => {
    const box = await fakeSandbox({ model: { primary: 'fake/default' } });
    const neither = await safetynet(box, ['cooldowns', 'clear', '--config', box.config]);
    expect(neither.exitCode).toBe(2);
    expect(neither.stderr).toContain('say what to clear: a model ref (e.g. claude-cli/opus-4.6), a provider (e.g. anthropic), or --all');
    const both = await safetynet(box, ['cooldowns', 'clear', 'fake/default', '--all', '--config', box.config]);
    expect(both.exitCode).toBe(2);
    expect(both.stderr).toContain('not both');
    const unknown = await safetynet(box, ['cooldowns', 'clear', 'faek/default', '--config', box.config]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toContain('unknown model ref or provider "faek/default"');
    expect(unknown.stderr).toContain('fake, fake/default');
  });
});
