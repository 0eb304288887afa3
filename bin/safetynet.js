#!/usr/bin/env node
// The `safetynet` command. The TypeScript sources are compiled to dist/ on `npm install`.
import { main } from '../dist/cli/main.js';

process.exitCode = await main(process.argv.slice(2));
