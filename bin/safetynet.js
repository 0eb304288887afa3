#!/usr/bin/env node
// The `safetynet` command: runs the bundle of src/cli/main.ts that `npm run build` (and `prepare`,
// on `npm ci` and `npm pack`) writes to dist/bundle/ with esbuild (scripts/build-bundle.mjs).
import { main } from '../dist/bundle/main.js';

process.exitCode = await main(process.argv.slice(2));
