// Run in a fresh process by cold-start.mjs; prints one JSON line on stdout.
//   node bench/cold-probe.mjs import <specifier>...   ms to import the given modules (in order)
//   node bench/cold-probe.mjs phases <storeDir>       the phases of `safetynet agent`, one by one
// `performance.now()` counts from the process's time origin, so the first figure of `phases` is
// Node's own start-up up to the first line of user code.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const bootMs = performance.now();
const [what, ...rest] = process.argv.slice(2);
const DIST = new URL('../dist/', import.meta.url);
const resolveSpec = (spec) => (spec.startsWith('dist/') ? new URL(spec.slice(5), DIST).href : spec);

async function lap(fn) {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

if (what === 'import') {
  const out = { bootMs };
  for (const spec of rest) out[spec] = await lap(() => import(resolveSpec(spec)));
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else if (what === 'phases') {
  const storeDir = rest[0];
  if (storeDir === undefined) throw new Error('usage: cold-probe.mjs phases <storeDir>');
  const out = { boot: bootMs };
  let runtimeModule;
  let storeModule;
  let runtime;
  out['import cli/main.js (commander, agent)'] = await lap(() => import(new URL('cli/main.js', DIST).href));
  out['import runtime (xstate, execa, nanoid, machine)'] = await lap(async () => {
    runtimeModule = await import(new URL('runtime/runtime.js', DIST).href);
  });
  out['createRuntime: config file (json5, zod, validation)'] = await lap(async () => {
    runtime = await runtimeModule.createRuntime({});
  });
  out['import store (level, classic-level)'] = await lap(async () => {
    storeModule = await import(new URL('store/index.js', DIST).href);
  });
  const location = join(storeDir, `state-${process.pid}`);
  out['store: create + open + get + close (new folder)'] = await lap(async () => {
    const sessions = new storeModule.SessionStore({ location });
    await sessions.get('k', 'bench-cli');
    await sessions.close();
  });
  out['store: open + get + close (existing folder)'] = await lap(async () => {
    const sessions = new storeModule.SessionStore({ location });
    await sessions.get('k', 'bench-cli');
    await sessions.close();
  });
  out['run(): the CLI turn (spawn, parse, trace write)'] = await lap(async () => {
    const result = await runtime.run({ message: 'hi' });
    if (!result.text.startsWith('ok: ')) throw new Error(`unexpected reply ${result.text}`);
  });
  out['runtime.close()'] = await lap(() => runtime.close());
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  throw new Error(`unknown probe ${what} (${pathToFileURL(process.argv[1] ?? '').href})`);
}
