// EXPERIMENT (issue 12, requirement 5), not used by bin/ or the tests: a V8 user-land startup
// snapshot of the `safetynet` command on Node 20. Findings and figures: bench/snapshot-findings.md.
//
//   node scripts/build-snapshot.mjs [dir] [--external-sdks] [--minify] [--without-code-cache]
//     writes dir (default dist/snapshot): snapshot-entry.cjs (one CommonJS file, esbuild, no
//     splitting) and snapshot.blob (`node --snapshot-blob snapshot.blob --build-snapshot …`), and
//     prints the build time and sizes (also in dir/build.json). SN_WARM=a,b (names in WARM below)
//     evaluates only those modules at build time; SN_WARM= none. --external-sdks leaves the provider SDKs, Fastify, ioredis and
//     prom-client out of the file (required from node_modules at run time, when first used).
//     --minify minifies the file (smaller source string in the heap); --without-code-cache builds
//     the blob with `withoutCodeCache: true` (--build-snapshot-config): no compiled code in it.
//   node --snapshot-blob dir/snapshot.blob agent --message hi
//     runs the command from the snapshot (the argv after the blob is the command's argv; put `--`
//     first for flags Node itself takes, e.g. `-- --version`). The best variant measured:
//     --external-sdks --minify --without-code-cache.
//
// The entry evaluates, while the snapshot is built, the modules a CLI turn needs (the command line,
// `agent`, the runtime and its machine, execa, json5, the config schema, the store modules); what
// cannot be in a snapshot is required at run time through `module.createRequire` of the repository:
// `classic-level` (a native addon; `level` is kept out with it), `@statelyai/inspect` (optional).
import { execFileSync } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const REPO = path.resolve(import.meta.dirname, '..');
const args = process.argv.slice(2);
const externalSdks = args.includes('--external-sdks');
const minify = args.includes('--minify');
const withoutCodeCache = args.includes('--without-code-cache');
const outdir = path.resolve(args.find((a) => !a.startsWith('--')) ?? path.join(REPO, 'dist', 'snapshot'));

/** Required from node_modules at run time, never evaluated while the snapshot is built. */
const RUNTIME_EXTERNAL = ['classic-level', 'level', '@statelyai/inspect'];
/** Lazily used packages that --external-sdks also leaves out of the file. */
const SDKS = ['@anthropic-ai/sdk', 'openai', 'fastify', 'ioredis', 'prom-client', 'light-my-request'];

// The bundle's free `require`: built-ins from the snapshot's own `require` (the only one a snapshot
// entry has: it loads built-ins only); packages from node_modules through `createRequire`, at run time.
// A package required while the snapshot is built (a static import of `level` in a module the entry
// warms) gets a proxy that requires it on first use, after deserialization.
const BANNER = `'use strict';
const __snBuiltin = require;
const __snV8 = __snBuiltin('node:v8');
const __snModule = __snBuiltin('node:module');
let __snPackages;
function __snPackage(id) {
  __snPackages ??= __snModule.createRequire(${JSON.stringify(path.join(REPO, 'package.json'))});
  return __snPackages(id);
}
function __snLazy(id) {
  let real;
  const load = () => (real ??= __snPackage(id));
  return new Proxy({}, {
    get: (_, key) => load()[key],
    has: (_, key) => key in load(),
    ownKeys: () => Reflect.ownKeys(load()),
    getOwnPropertyDescriptor: (_, key) => { const d = Reflect.getOwnPropertyDescriptor(load(), key); if (d) d.configurable = true; return d; },
  });
}
require = (id) => __snModule.isBuiltin(id) ? __snBuiltin(id)
  : __snV8.startupSnapshot.isBuildingSnapshot() ? __snLazy(id) : __snPackage(id);
`;

// The snapshot entry: evaluate what a CLI turn loads, then name the main run after deserialization.
const ENTRY = `
import v8 from 'node:v8';
import { main } from './src/cli/main.ts';

// The modules a one-shot or --session CLI turn imports lazily (src/cli/agent.ts and below).
const WARM = {
  agent: () => import('./src/cli/agent.ts'),
  runtime: () => import('./src/runtime/runtime.ts'),
  sessionLane: () => import('./src/runtime/session-lane.ts'),
  schema: () => import('./src/config/schema.ts'),
  stateStores: () => import('./src/store/state-stores.ts'),
  levelStores: () => import('./src/store/level/level-stores.ts'),
  json5: () => import('json5'),
  execa: () => import('execa'),
};
// Not warmed: src/store/lanes/file-lane-locks.ts (--session only). proper-lockfile calls signal-exit's
// onExit() when evaluated, which installs process signal handlers: V8 then aborts the snapshot
// ("global handle not serialized", SIGILL). It is evaluated at run time, on first use.
// SN_WARM=name,name (while building) evaluates only those: how the culprits below were found.
const warm = () => {
  const names = process.env.SN_WARM === undefined ? Object.keys(WARM) : process.env.SN_WARM.split(',').filter(Boolean);
  return Promise.all(names.map((name) => WARM[name]()));
};

// processIo (src/cli/io.ts) reads isTTY and keeps process.stderr when its module is evaluated: in
// a snapshot that is the build's process, so the run builds its own.
function runIo() {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stdoutIsTerminal: process.stdout.isTTY === true,
    ...(process.stderr.isTTY ? { stderrTerminal: process.stderr } : {}),
  };
}

function run(fromSnapshot) {
  // From a snapshot on Node 20, process.argv is [node, ...args] (later Node versions repeat argv[0]
  // as argv[1]); run as a plain script (the control: same file, no snapshot), [node, script, ...args].
  const argv = process.argv.slice(!fromSnapshot || process.argv[1] === process.argv[0] ? 2 : 1);
  main(argv, runIo()).then(
    (code) => { process.exitCode = code; },
    (error) => { process.exitCode = 1; console.error(error); },
  );
}

if (v8.startupSnapshot.isBuildingSnapshot()) {
  warm().then(() => v8.startupSnapshot.setDeserializeMainFunction(() => run(true)));
} else {
  run(false);
}
`;

async function main() {
  await mkdir(outdir, { recursive: true });
  const entryFile = path.join(outdir, 'snapshot-entry.cjs');
  const blob = path.join(outdir, 'snapshot.blob');
  const t0 = performance.now();
  await build({
    absWorkingDir: REPO,
    stdin: { contents: ENTRY, resolveDir: REPO, sourcefile: 'snapshot-entry.mjs', loader: 'ts' },
    outfile: entryFile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    external: [...RUNTIME_EXTERNAL, ...(externalSdks ? SDKS : [])],
    // import.meta.url: src/cli/main.ts reads ../../package.json relative to it (dist/cli/ there).
    define: { 'import.meta.url': JSON.stringify(`file://${path.join(REPO, 'dist', 'cli', 'main.js')}`) },
    banner: { js: BANNER },
    keepNames: true,
    minify,
    legalComments: 'none',
    logLevel: 'error',
  });
  const t1 = performance.now();
  const config = path.join(outdir, 'snapshot-config.json');
  await writeFile(config, JSON.stringify({ builder: entryFile, withoutCodeCache }));
  execFileSync(process.execPath, ['--snapshot-blob', blob, '--build-snapshot-config', config], { cwd: outdir, stdio: 'inherit' });
  const t2 = performance.now();
  const [entrySize, blobSize] = await Promise.all([stat(entryFile), stat(blob)]).then((s) => s.map((x) => x.size));
  const report = {
    node: process.version,
    externalSdks,
    minify,
    withoutCodeCache,
    esbuildMs: Math.round(t1 - t0),
    snapshotMs: Math.round(t2 - t1),
    entryBytes: entrySize,
    blobBytes: blobSize,
    entrySha: (await import('node:crypto'))
      .createHash('sha256')
      .update(await readFile(entryFile))
      .digest('hex')
      .slice(0, 16),
  };
  await writeFile(path.join(outdir, 'build.json'), `${JSON.stringify(report, null, 2)}\n`);
  console.log(JSON.stringify(report));
}

await main();
