#!/usr/bin/env node
// `npx rtmfp-server`: the RTMFP server. The server itself is built by a later capability; until
// then this entry point says so plainly and reports what the engine has ready on this machine.
import { VERSION } from './index.js';

console.log(`rtmfp-engine ${VERSION}`);
console.log('The RTMFP server (sessions, NetConnection, relay) is not built yet: this release has the');
console.log('wire codecs, Flash-profile crypto and the WASM / node:crypto hot paths. See README.md.');
