// The layers the imports obey (docs/architecture.md): `npm run check:layers`, run by `npm test`.
// Each folder of src/ is one layer; a module may import its own folder and lower layers only.
// Layers on the same rank are siblings and may not import each other. errors.ts (with
// error-codes.ts) is below everything; src/index.ts (the root entry) and src/cli.ts sit on top.
// Type-only imports count: a type from a higher layer couples the layers as much as a value does.

/** Bottom up. One entry per rank; an array is siblings. */
const LAYERS = [
  'time', // the Clock
  'transport', // DatagramTransport, UdpTransport, virtual network, SocketAddress
  'wire', // RFC 7016 section 2 / RFC 7425 section 5 codecs
  'media', // FLV codecs (use wire/amf)
  'crypto', // RFC 7425 section 4
  'engine', // hot paths: key table, AES, pools, reassembly, windows
  'flow', // flows, RTT, congestion (RFC 7016 3.5.2, 3.6)
  'session', // Endpoint, Session, handshake (RFC 7016 3.5)
  ['peer', 'stream'], // sessions to peers by peer ID and flow routing; the live-stream model
  'flash', // NetConnection, NetStream, direct streams (RFC 7425 5)
  'group', // NetGroup
  'server', // RtmfpServer
  ['sim', 'cli'], // simulator, command line
];

const ranks = LAYERS.map((x) => (Array.isArray(x) ? x : [x]));
const alt = (names) => `(${names.join('|')})`;

const layerRules = [];
ranks.forEach((names, i) => {
  for (const name of names) {
    const above = ranks.slice(i + 1).flat();
    const siblings = names.filter((n) => n !== name);
    const forbidden = [...above, ...siblings];
    if (forbidden.length === 0) continue;
    layerRules.push({
      name: `layer-${name}`,
      comment: `src/${name}/ may import only its own folder and the layers below it (${ranks
        .slice(0, i)
        .flat()
        .join(', ') || 'errors.ts only'}).`,
      severity: 'error',
      from: { path: `^src/${name}/` },
      to: { path: `^src/(${alt(forbidden)}/|index\\.ts$|cli\\.ts$)` },
    });
  }
});

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      comment: 'No import cycles, within a layer or across layers.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'Every relative import resolves (otherwise the layer rules would not see it).',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true, pathNot: '^node:' },
    },
    {
      name: 'errors-at-the-bottom',
      comment: 'src/errors.ts and src/error-codes.ts (any file at the root of src/ but the entries index.ts and cli.ts) sit below every layer: they import no layer.',
      severity: 'error',
      from: { path: '^src/[^/]+\\.ts$', pathNot: '^src/(index|cli)\\.ts$' },
      to: { path: '^(src/[^/]+/|workers/|src/(index|cli)\\.ts$)' },
    },
    ...layerRules,
    {
      name: 'workers-on-the-engine',
      comment: 'Worker entry points run engine tasks: they may import engine/ and below only.',
      severity: 'error',
      from: { path: '^workers/' },
      to: { path: `^src/(${alt(ranks.slice(ranks.findIndex((r) => r.includes('engine')) + 1).flat())}/|index\\.ts$|cli\\.ts$)` },
    },
    {
      name: 'sockets-in-transport',
      comment: 'Every datagram goes through a DatagramTransport: only src/transport/ opens sockets.',
      severity: 'error',
      from: { path: '^src/', pathNot: '^src/transport/' },
      to: { path: '^(node:)?dgram$' },
    },
    {
      name: 'src-not-to-tests',
      comment: 'The library never imports tests, benchmarks or worker entry points (pools load those by path).',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^(test|bench|workers)/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Unresolved imports keep their relative specifier: kept so not-to-unresolvable sees them.
    // node:dgram is kept for the sockets-in-transport rule.
    includeOnly: '^((src|workers)/|\\.\\.?/|(node:)?dgram$)',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js'] },
    cache: false,
  },
};
