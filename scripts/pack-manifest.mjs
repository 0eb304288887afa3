#!/usr/bin/env node
// The packed package.json without the `prepare` script (npm's prepack/postpack hooks):
// `prepare` builds dist/ in a clone, but the tarball already ships dist/, and npm 11 lists every
// `prepare` of an installed package as an install script "not yet covered by allowScripts".
//   node scripts/pack-manifest.mjs strip     (prepack) keep package.json aside, write it without scripts.prepare
//   node scripts/pack-manifest.mjs restore   (postpack) put the kept package.json back, byte for byte
// Usage: [dir] defaults to the current folder. A strip after an interrupted pack restores first.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [mode, dir = process.cwd()] = process.argv.slice(2);
const manifest = join(dir, 'package.json');
const kept = join(dir, 'package.json.prepack');

function restore() {
  if (existsSync(kept)) renameSync(kept, manifest);
}

if (mode === 'strip') {
  restore();
  const text = readFileSync(manifest, 'utf8');
  const pkg = JSON.parse(text);
  writeFileSync(kept, text);
  if (pkg.scripts !== undefined) delete pkg.scripts.prepare;
  writeFileSync(manifest, `${JSON.stringify(pkg, null, 2)}\n`);
} else if (mode === 'restore') {
  restore();
} else {
  process.stderr.write('usage: node scripts/pack-manifest.mjs strip|restore [dir]\n');
  process.exit(2);
}
