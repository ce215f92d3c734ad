/**
 * The relay benchmark's server, in a process of its own so its CPU time (process.cpuUsage) is the
 * server's alone. Forked by bench/suites/relay.ts with the cipher backend as argv[2]: listens on
 * 127.0.0.1 port 0, reports the port, answers 'mark' requests with CPU, server stats and endpoint
 * packet counters, and exits on 'close'.
 */
import { NodeBatchedCipher } from '../../src/engine/aes/node-batched.js';
import { NodeLongLivedCipher } from '../../src/engine/aes/node-long-lived.js';
import { WasmPacketCipher } from '../../src/engine/aes/wasm.js';
import type { KeyTable } from '../../src/engine/key-table.js';
import type { PacketCipherSync } from '../../src/engine/packet-batch.js';
import { RtmfpServer } from '../../src/server/rtmfp-server.js';
import { isRelayBackend, monotonicMs, RELAY_APP, type RelayBackend, type ServerReply, type ServerRequest } from './protocol.js';

function cipherFactory(backend: RelayBackend): (keys: KeyTable) => PacketCipherSync {
  switch (backend) {
    case 'node-batched':
      return (keys) => new NodeBatchedCipher(keys);
    case 'node-long-lived':
      return (keys) => new NodeLongLivedCipher(keys);
    case 'wasm':
      return (keys) => new WasmPacketCipher(keys);
  }
}

function reply(m: ServerReply): void {
  process.send?.(m);
}

async function main(): Promise<void> {
  const backend = process.argv[2] ?? '';
  if (!isRelayBackend(backend) || !process.send) {
    console.error(`server-child: needs an IPC channel and a backend argument, got ${JSON.stringify(backend)}`);
    process.exit(2);
  }
  const server = await RtmfpServer.listen({
    host: '127.0.0.1',
    port: 0,
    applications: [RELAY_APP],
    // Every subscriber comes from 127.0.0.1: lift the per-address handshake rate limit (default
    // 8/s, burst 16), or connecting 200 of them would take half a minute.
    endpoint: { createCipher: cipherFactory(backend), handshake: { rateLimit: { burst: 1e9, perSecond: 1e9 } } },
    // The stream is idle between measurement points; keep its instance loaded.
    instanceIdleUnloadMs: 10 * 60_000,
    closeWaitMs: 1000,
  });
  server.instance(RELAY_APP, undefined, { keepLoaded: true });
  process.on('message', (raw: ServerRequest) => {
    if (raw.type === 'mark') {
      const c = server.endpoint.counters;
      reply({
        type: 'mark',
        id: raw.id,
        mark: {
          cpu: process.cpuUsage(),
          at: monotonicMs(),
          stats: server.stats(),
          datagramsOut: c.datagramsOut,
          bytesOut: c.bytesOut,
          datagramsIn: c.datagramsIn,
        },
      });
    } else if (raw.type === 'close') {
      void server.close().finally(() => process.exit(0));
    }
  });
  // The parent going away ends us too.
  process.on('disconnect', () => process.exit(0));
  reply({ type: 'listening', port: server.port, cipher: server.endpoint.cipher.name });
}

void main();
