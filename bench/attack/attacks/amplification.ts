// Issue 9, finding 1: one 100-byte datagram of 16 IHellos with empty EPDs got 16 RHellos back
// (26x); the budget was credited per chunk; empty EPDs selected the server; limits were keyed by
// ip:port, so every port of a spoofed victim got a fresh burst. Here one address (127.0.0.2, from
// many ports) sends one kind of startup datagram, and what comes back to that address must stay
// within the configured factor (5, src/session/handshake/amplification.ts) of what it sent
// (127.0.1.1 to 127.0.1.4, one per kind).
import dgram from 'node:dgram';
import { ChunkType } from '../../../src/wire/chunk-type.js';
import { encodeEpd } from '../../../src/wire/epd.js';
import type { AnyChunk } from '../../../src/wire/chunk.js';
import { DEFAULT_AMPLIFICATION_FACTOR } from '../../../src/session/handshake/amplification.js';
import { Expectations, ServerProcess, startupDatagram, waitFor, type Attack } from '../harness.js';

function ihello(epd: Uint8Array, tag: Uint8Array): AnyChunk {
  return { type: ChunkType.IHello, epd, tag } as AnyChunk;
}

/** The datagram kinds: the finding's 16 empty IHellos, a valid server IHello, a peer-ID IHello, mixed. */
function datagrams(port: number): Uint8Array[] {
  const tag = (i: number): Uint8Array => Uint8Array.of(i & 0xff);
  const uri = encodeEpd({ ancillaryData: `rtmfp://127.0.0.1:${port}/live` });
  const peer = encodeEpd({ fingerprint: new Uint8Array(32).fill(7) });
  return [
    startupDatagram(Array.from({ length: 16 }, (_, i) => ihello(new Uint8Array(0), tag(i)))),
    startupDatagram([ihello(uri, new Uint8Array(16).fill(1))]),
    startupDatagram(Array.from({ length: 16 }, (_, i) => ihello(uri, tag(i)))),
    startupDatagram([ihello(peer, new Uint8Array(16).fill(2))]),
  ];
}

/** Each kind of datagram comes from an address of its own, so each address is judged alone. */
const KINDS = ['16 empty IHellos', 'one server IHello', '16 server IHellos', 'one peer-ID IHello'] as const;

export const amplification: Attack = {
  name: 'amplification',
  finding: 'issue 9.1: no sequence of datagrams from one unverified address gets more than the factor back',
  async run({ short }) {
    const e = new Expectations();
    const server = await ServerProcess.start();
    const ports = short ? 8 : 64;
    const rounds = short ? 10 : 100;
    const sockets: { s: dgram.Socket; kind: number }[] = [];
    const stats = KINDS.map(() => ({ bytesOut: 0, bytesIn: 0, datagramsOut: 0, datagramsIn: 0 }));
    try {
      for (let k = 0; k < KINDS.length; k++) {
        for (let i = 0; i < ports; i++) {
          const s = dgram.createSocket('udp4');
          await new Promise<void>((r) => s.bind(0, `127.0.1.${k + 1}`, () => r()));
          s.on('message', (m) => {
            stats[k]!.bytesIn += m.length;
            stats[k]!.datagramsIn++;
          });
          sockets.push({ s, kind: k });
        }
      }
      const kinds = datagrams(server.port);
      for (let r = 0; r < rounds; r++) {
        for (const { s, kind } of sockets) {
          const d = kinds[kind]!;
          stats[kind]!.bytesOut += d.length;
          stats[kind]!.datagramsOut++;
          s.send(d, server.port, '127.0.0.1');
        }
        await new Promise((res) => setTimeout(res, 5));
      }
      // Let every answer arrive.
      let last = -1;
      await waitFor(() => {
        const total = stats.reduce((a, x) => a + x.bytesIn, 0);
        const settled = last === total;
        last = total;
        return settled;
      }, 3000, 300);
    } finally {
      for (const { s } of sockets) s.close();
      await server.stop();
    }
    const metrics: Record<string, number> = {};
    KINDS.forEach((name, k) => {
      const st = stats[k]!;
      const factor = st.bytesOut > 0 ? st.bytesIn / st.bytesOut : 0;
      const key = name.replace(/[^a-z0-9]+/gi, '_');
      metrics[`${key}_factor`] = Number(factor.toFixed(3));
      metrics[`${key}_bytesIn`] = st.bytesIn;
      metrics[`${key}_bytesOut`] = st.bytesOut;
      e.check(factor <= DEFAULT_AMPLIFICATION_FACTOR, `${name} from one address (${ports} ports): ${st.bytesIn} bytes back for ${st.bytesOut}: ${factor.toFixed(2)}x > ${DEFAULT_AMPLIFICATION_FACTOR}x`);
      // At most one answer per datagram, whatever it carries.
      e.check(st.datagramsIn <= st.datagramsOut, `${name}: ${st.datagramsIn} datagrams back for ${st.datagramsOut} sent`);
    });
    return { metrics, failures: e.failures };
  },
};
