#!/usr/bin/env node
// `npx rtmfp-server`: the RTMFP server. The Flash application layer (NetConnection, NetStream,
// RtmfpServer) is a later capability; until it lands this entry point says so plainly.
import { VERSION } from './index.js';

console.log(`rtmfp-engine ${VERSION}`);
console.log('Built: wire codecs, Flash-profile crypto, the WASM / node:crypto hot paths, and RFC 7016 sessions');
console.log('and flows over UDP (Endpoint, Session). Not built yet: the Flash server (RtmfpServer,');
console.log('NetConnection, NetStream), so there is no server to start. See README.md.');
