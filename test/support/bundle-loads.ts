/**
 * Which parts of the command bundle (`dist/bundle/`, scripts/build-bundle.mjs) a process loaded:
 * `test/cli/fixtures/record-loads.mjs`, preloaded with `--import`, appends the URL of every ES
 * module the process loads to `$RECORD_LOADS`; esbuild's metafile maps each loaded chunk back to the
 * sources and packages bundled into it.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = path.resolve(import.meta.dirname, '../..');

/** The module hook to preload with `node --import` (or `NODE_OPTIONS=--import=…`). */
export const RECORD_LOADS = path.join(REPO, 'test/cli/fixtures/record-loads.mjs');

/** The command bundle's folder. */
export const BUNDLE_DIR = path.join(REPO, 'dist/bundle');

/** The files (absolute paths) of the modules recorded in `record` by {@link RECORD_LOADS}. */
export function loadedFiles(record: string): string[] {
  const urls = readFileSync(record, 'utf8').trim().split('\n');
  return urls.filter((url) => url.startsWith('file:')).map((url) => fileURLToPath(url));
}

/** The inputs (repo-relative sources, `node_modules/…` files) bundled into the given output files, per esbuild's metafile. */
export function bundledInputs(files: string[]): string[] {
  const meta = JSON.parse(readFileSync(path.join(BUNDLE_DIR, 'meta.json'), 'utf8')) as {
    outputs: Record<string, { inputs: Record<string, unknown> }>;
  };
  return files.flatMap((file) => Object.keys(meta.outputs[path.relative(REPO, file)]?.inputs ?? {}));
}

/** The packages (`node_modules/<name>`) bundled into the given output files. */
export function packagesIn(files: string[]): Set<string> {
  const packages = new Set<string>();
  for (const input of bundledInputs(files)) {
    const name = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
    if (name !== undefined) packages.add(name);
  }
  return packages;
}
