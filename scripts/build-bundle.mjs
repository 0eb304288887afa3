// Bundles the `safetynet` command (src/cli/main.ts and everything it imports) with esbuild into
// dist/bundle/, the files bin/safetynet.js runs. Run by `npm run build` and `prepare` after tsc, and
// by the tests' global setup when the bundle is older than a source. Why: docs/cold-start.md.
//
//   node scripts/build-bundle.mjs [dir]   writes main.js, its lazy chunks (chunks/) and meta.json to
//                                         dir (default dist/bundle; the tests build elsewhere too)
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const REPO = path.resolve(import.meta.dirname, '..');

/** Where the bundle goes; two levels under the repository like dist/cli/, so `../../package.json` resolves alike. */
export const BUNDLE_DIR = path.join(REPO, 'dist', 'bundle');

/**
 * Left out of the bundle and loaded from node_modules at run time: `classic-level` loads its native
 * binding from its own folder, and `@statelyai/inspect` is an optional dependency (absent in some
 * installs; `--inspect` reports that).
 */
export const EXTERNAL = ['classic-level', '@statelyai/inspect'];

// The bundle is ESM; the CommonJS packages inside it (commander, json5, proper-lockfile, …) call
// `require` for Node's built-ins, which an ES module does not have.
const BANNER = "import { createRequire as __snCreateRequire } from 'node:module';\nconst require = __snCreateRequire(import.meta.url);";

/**
 * Builds the bundle into `outdir` (default {@link BUNDLE_DIR}), replaced whole: written beside it
 * first and swapped in by two renames, so a command started meanwhile finds the old or the new one.
 * Resolves with esbuild's metafile.
 */
export async function buildBundle(outdir = BUNDLE_DIR) {
  const fresh = `${outdir}.new-${process.pid}`;
  const old = `${outdir}.old-${process.pid}`;
  await rm(fresh, { recursive: true, force: true });
  await mkdir(fresh, { recursive: true });
  const result = await build({
    absWorkingDir: REPO,
    entryPoints: { main: 'src/cli/main.ts' },
    outdir: fresh,
    bundle: true,
    // Dynamic imports become chunks loaded on first use: the provider SDKs, zod, Fastify, ioredis and
    // LevelDB cost nothing on a path that does not call them.
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: BANNER },
    chunkNames: 'chunks/[name]-[hash]',
    // Bundling renames clashing classes (both SDKs define `APIConnectionError`: one becomes
    // `APIConnectionError2`); failure classification reads constructor names, so keep them.
    keepNames: true,
    metafile: true,
    // The bundled packages' licence notices, beside each output file (shipped, never parsed).
    legalComments: 'external',
    logLevel: 'warning',
  });
  // The metafile names the outputs where the bundle will live, not where esbuild wrote them.
  const text = JSON.stringify(result.metafile).replaceAll(
    JSON.stringify(path.relative(REPO, fresh)).slice(1, -1),
    path.relative(REPO, outdir),
  );
  await writeFile(path.join(fresh, 'meta.json'), `${text}\n`);
  await rename(outdir, old).catch((error) => {
    if (error.code !== 'ENOENT') throw error;
  });
  await rename(fresh, outdir);
  await rm(old, { recursive: true, force: true });
  return result.metafile;
}

if (import.meta.url === `file://${process.argv[1]}`)
  await buildBundle(process.argv[2] === undefined ? undefined : path.resolve(process.argv[2]));
