/**
 * Where `npm run bench` writes its report: a quick run's noisy figures never overwrite the committed
 * BENCHMARKS.md (they go to the git-ignored reports/ folder); only a full run updates it.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');

interface RunModule {
  reportPath(options: { quick?: boolean }): string;
}

async function harness(): Promise<RunModule> {
  // A variable specifier: the harness is plain JavaScript without type declarations.
  const specifier = pathToFileURL(path.join(REPO, 'bench/run.mjs')).href;
  return (await import(specifier)) as RunModule;
}

describe('bench report file', () => {
  it('a quick run writes reports/bench-quick.md, which git ignores', async () => {
    const { reportPath } = await harness();
    const file = reportPath({ quick: true });
    expect(path.relative(REPO, file)).toBe(path.join('reports', 'bench-quick.md'));
    // `git check-ignore` exits 0 when the path is ignored (and throws otherwise).
    expect(execFileSync('git', ['check-ignore', file], { cwd: REPO, encoding: 'utf8' }).trim()).toBe(file);
  });

  it('only a full run writes the committed BENCHMARKS.md', async () => {
    const { reportPath } = await harness();
    expect(reportPath({ quick: false })).toBe(path.join(REPO, 'BENCHMARKS.md'));
    expect(reportPath({})).toBe(path.join(REPO, 'BENCHMARKS.md'));
  });
});
