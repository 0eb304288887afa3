/**
 * Vitest global setup: some store tests run the compiled `dist/`, and the tests under test/cli run
 * the command's bundle `dist/bundle/` (what `bin/safetynet.js` imports), so before any test runs both
 * must be at least as new as their sources:
 * - when a `src/**\/*.ts` is newer than its `dist/**\/*.js` (or that file is missing), `dist/` is
 *   rebuilt once with `tsc -p tsconfig.build.json` (about 20 s);
 * - when an input of the bundle (every file esbuild read, from `src/` and `node_modules/`, as listed
 *   in its metafile `dist/bundle/meta.json`) or the build script is newer than the bundle's entry (or
 *   the bundle is missing), the bundle is rebuilt with `node scripts/build-bundle.mjs` (seconds).
 * Fresh builds cost only the mtime scans. This is the one home of that rule: test files do not check
 * `dist/` themselves.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '..');

/** Every `.ts` source under `dir` (declaration files emit nothing and are skipped). */
function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts'))
    .map((entry) => path.join(entry.parentPath, entry.name));
}

/** The sources whose compiled `.js` in `dist/` is missing or older than them. */
export function staleSources(): string[] {
  const src = path.join(REPO, 'src');
  return sources(src).filter((file) => {
    const built = path.join(REPO, 'dist', path.relative(src, file)).replace(/\.ts$/, '.js');
    try {
      return statSync(built).mtimeMs < statSync(file).mtimeMs;
    } catch {
      return true;
    }
  });
}

/** The bundle's build script; a change to it makes every bundle stale. */
const BUNDLE_SCRIPT = path.join(REPO, 'scripts/build-bundle.mjs');

/**
 * Why the bundle in `bundleDir` (default `dist/bundle`) must be rebuilt: `[]` when it is fresh, else
 * the missing file or the inputs (absolute paths) newer than its entry `main.js`. Inputs are the
 * files of its metafile `meta.json` plus the build script.
 */
export function staleBundleInputs(bundleDir: string = path.join(REPO, 'dist/bundle')): string[] {
  let builtMs: number;
  let inputs: string[];
  try {
    builtMs = statSync(path.join(bundleDir, 'main.js')).mtimeMs;
    const meta = JSON.parse(readFileSync(path.join(bundleDir, 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
    inputs = Object.keys(meta.inputs).map((input) => path.resolve(REPO, input));
  } catch {
    return [path.join(bundleDir, 'main.js')];
  }
  return [...inputs, BUNDLE_SCRIPT].filter((file) => {
    try {
      return statSync(file).mtimeMs > builtMs;
    } catch {
      return true; // an input that is gone: the bundle was built from sources that no longer exist
    }
  });
}

/** Builds the bundle into `bundleDir` (default `dist/bundle`) with `scripts/build-bundle.mjs`. */
export function buildBundle(bundleDir?: string): void {
  execFileSync(process.execPath, [BUNDLE_SCRIPT, ...(bundleDir === undefined ? [] : [bundleDir])], { cwd: REPO, stdio: 'inherit' });
}

/** Rebuilds the bundle in `bundleDir` when it is stale; throws when it is still stale afterwards. */
export function ensureBundle(bundleDir?: string): void {
  const stale = staleBundleInputs(bundleDir);
  if (stale.length === 0) return;
  process.stderr.write(
    `the command's bundle is missing or older than ${stale.length} input(s) (e.g. ${path.relative(REPO, stale[0] ?? '')}): rebuilding with node scripts/build-bundle.mjs\n`,
  );
  try {
    buildBundle(bundleDir);
  } catch (error) {
    throw new Error(`the bundle is stale and \`node scripts/build-bundle.mjs\` failed, so the CLI tests cannot run: ${String(error)}`);
  }
  const still = staleBundleInputs(bundleDir);
  if (still.length > 0)
    throw new Error(`the bundle is still older than ${still.map((file) => path.relative(REPO, file)).join(', ')} after the build`);
}

/** Rebuilds `dist/` and the command's bundle when they are stale; fails the run when still stale afterwards. */
export default function setup(): void {
  ensureDist();
  ensureBundle();
}

function ensureDist(): void {
  const stale = staleSources();
  if (stale.length === 0) return;
  process.stderr.write(
    `dist/ is older than ${stale.length} source file(s) (e.g. ${path.relative(REPO, stale[0] ?? '')}): rebuilding with tsc -p tsconfig.build.json\n`,
  );
  try {
    execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], {
      cwd: REPO,
      stdio: 'inherit',
    });
  } catch (error) {
    throw new Error(`dist/ is stale and \`npx tsc -p tsconfig.build.json\` failed, so the tests of dist/ cannot run: ${String(error)}`);
  }
  const still = staleSources();
  if (still.length > 0)
    throw new Error(`dist/ is still older than ${still.map((file) => path.relative(REPO, file)).join(', ')} after the build`);
}
