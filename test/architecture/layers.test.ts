/**
 * The layer rule of src/ as a test: dependency-cruiser runs the repo's `.dependency-cruiser.cjs`
 * (a module imports only from its own layer or the layers below it; no import cycle) over `src`
 * and finds nothing. A second run of the same rules over a tiny tree written to a temp folder, with
 * one upward import and one two-module cycle, proves the check can fail and names what it found.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type ICruiseOptions, type ICruiseResult, type IViolation, cruise } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../support/real-cli.js';

/** One line per violation: `from → to (rule)`, cycles with their path. */
function describeViolation(v: IViolation): string {
  const cycle = v.cycle === undefined ? '' : ` via ${v.cycle.map((step) => step.name).join(' → ')}`;
  return `${v.from} → ${v.to} (${v.rule.name})${cycle}`;
}

/** The violations of the repo's rules over `<baseDir>/src`, one line each, sorted, and how many modules were read. */
async function layerViolations(baseDir: string): Promise<{ violations: string[]; modules: number }> {
  const options: ICruiseOptions = await extractDepcruiseOptions(join(repoRoot, '.dependency-cruiser.cjs'));
  const tsConfig = extractTSConfig(join(repoRoot, 'tsconfig.build.json'));
  const { output } = await cruise(['src'], { ...options, baseDir, validate: true }, undefined, { tsConfig });
  if (typeof output === 'string') throw new Error(`dependency-cruiser answered text instead of a result: ${output.slice(0, 200)}`);
  const { summary } = output as ICruiseResult;
  return { violations: summary.violations.map(describeViolation).sort(), modules: summary.totalCruised };
}

describe('the layer rule of src/ (dependency-cruiser)', () => {
  it('no module of src/ imports a layer above its own, and no import cycle exists', async () => {
    const { violations, modules } = await layerViolations(repoRoot);
    expect(modules).toBeGreaterThan(50); // the cruise did read src/, it is not vacuously clean
    expect(violations, `layer violations:\n${violations.join('\n')}`).toEqual([]);
  });

  describe('the same rules over a tree that breaks them', () => {
    let dir: string;
    /** A store/ module importing runtime/, and two config/ modules importing each other. */
    const tree: Record<string, string> = {
      'src/runtime/runner.ts': 'export const runner = 1;\n',
      'src/store/leak.ts': "import { runner } from '../runtime/runner.js';\nexport const leak = runner;\n",
      'src/config/ping.ts': "import { pong } from './pong.js';\nexport const ping = (): number => pong();\n",
      'src/config/pong.ts': "import { ping } from './ping.js';\nexport const pong = (): number => ping();\n",
    };
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'safetynet-layers-'));
      for (const [file, text] of Object.entries(tree)) {
        await mkdir(dirname(join(dir, file)), { recursive: true });
        await writeFile(join(dir, file), text);
      }
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reports exactly the upward import and the cycle (once, with its path)', async () => {
      expect((await layerViolations(dir)).violations).toEqual([
        'src/config/ping.ts → src/config/pong.ts (no-circular) via src/config/pong.ts → src/config/ping.ts',
        'src/store/leak.ts → src/runtime/runner.ts (store-not-from-runtime)',
      ]);
    });
  });
});
