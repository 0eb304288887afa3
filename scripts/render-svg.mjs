#!/usr/bin/env node
// Renders every visualizations/*.dot to SVG with Graphviz (`dot`), when it is installed
// (Debian: apt-get install graphviz). The .dot files themselves are generated from the machines
// by `npm run visualize` and checked for staleness by the test suite; CI does not need Graphviz.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const dir = new URL('../visualizations/', import.meta.url).pathname;
try {
  execFileSync('dot', ['-V'], { stdio: 'ignore' });
} catch {
  console.error('render-svg: Graphviz `dot` not found; install it (apt-get install graphviz) to refresh the SVGs');
  process.exit(0);
}
for (const file of readdirSync(dir).filter((name) => name.endsWith('.dot'))) {
  const svg = join(dir, file.replace(/\.dot$/, '.svg'));
  execFileSync('dot', ['-Tsvg', join(dir, file), '-o', svg]);
  console.log(`render-svg: wrote ${svg}`);
}
