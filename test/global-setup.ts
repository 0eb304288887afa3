/**
 * Vitest global setup: the tests under test/cli and some store tests run the compiled `dist/`, so
 * before any test runs, `dist/` must be at least as new as `src/`. When a `src/**\/*.ts` is newer
 * than its `dist/**\/*.js` (or that file is missing), `dist/` is rebuilt once with
 * `tsc -p tsconfig.build.json` (about 20 s; a fresh `dist/` costs only the mtime scan). This is the
 * one home of that rule: test files do not check `dist/` themselves.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
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

/** Rebuilds `dist/` when it is stale, and fails the run when it is still stale afterwards. */
export default function setup(): void {
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
