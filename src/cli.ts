#!/usr/bin/env node
// `rtmfp-server` (package bin, `npm start`): flags in cli/args.ts, run loop in cli/main.ts.
import { main } from './cli/main.js';

await main(process.argv.slice(2));
