import { randomBytes } from 'node:crypto';
import type { Bench } from 'tinybench';
import { generateDhKeyPair } from '../../src/crypto/dh.js';
import { PoolDiffieHellman } from '../../src/engine/pool/pool-diffie-hellman.js';
import { Endpoint } from '../../src/session/endpoint.js';
import { createServerIdentity } from '../../src/session/handshake/identity.js';
import type { Session } from '../../src/session/session.js';
// Test support is imported, not duplicated: the same relay the transfer tests use.
import { ImpairmentRelay } from '../../test/support/impairment-relay.js';
import type { BenchSuite, SuiteHandle } from '../suite.js';

/**
 * RFC 7016 sessions over real UDP on 127.0.0.1, both endpoints in this process.
 *
 * - `handshake/inline`: one full client->server session open (IHello, RHello, IIKeying, RIKeying,
 *   inline group-2 DH on both sides), then an abrupt close of both ends. Unit: one session. This
 *   includes building both Session objects (each allocates its receive reassembler's buffers).
 * - `dh/inline`, `dh/pool`, `dh/pool-x16`: the handshake's Diffie-Hellman work (group 2 key
 *   generation + agreement, wire-reference D.4). The handshake's HandshakeCryptoOps are
 *   synchronous, so a pooled-DH handshake cannot be measured yet; these rows are the cost a pooled
 *   handshake would move off the main thread: inline on the main thread, one awaited pool round trip
 *   at a time, and 16 in flight over 2 workers. Unit: one keygen + agree.
 * - `goodput/<n>-loss`: one flow per iteration carrying 4 MiB (64 KiB messages) on a long-lived
 *   session, direct (0 %) or through an ImpairmentRelay dropping 5 % each way. Unit: one packet
 *   delivered (session packets the receiving end accepted, data and control). Each sample is scaled
 *   to that iteration's own packet count (overriddenDuration), so rows read wall ns per packet;
 *   Mbit/s is printed at teardown.
 * - `cpu-us-per-packet/<n>-loss`: the same transfer, but the row's meanNs is process CPU time
 *   (process.cpuUsage, user + system) per delivered packet, in ns. Both endpoints (and the relay)
 *   share this process, so it is sender + receiver (+ relay) CPU, not one side's.
 */
const LOOP = '127.0.0.1';
const MiB = 1024 * 1024;
const TRANSFER_BYTES = 4 * MiB;
const MESSAGE_BYTES = 64 * 1024;
const TRANSFER_LIMIT_MS = 60_000;
const POOL_BURST = 16;
const META = new TextEncoder().encode('bench');

interface Link {
  server: Endpoint;
  client: Endpoint;
  relay: ImpairmentRelay | undefined;
  sender: Session;
  receiver: Session;
}

async function openLink(dropEachWay: number, seed: number): Promise<Link> {
  const server = await Endpoint.listen({ host: LOOP, identity: createServerIdentity(), recvBufferSize: 4 * MiB });
  const client = await Endpoint.listen({ host: LOOP, recvBufferSize: 4 * MiB });
  let relay: ImpairmentRelay | undefined;
  if (dropEachWay > 0) {
    const profile = { drop: dropEachWay };
    relay = await ImpairmentRelay.open({ server: { address: LOOP, port: server.address.port }, seed, toServer: profile, toClient: profile });
  }
  const target = relay ? relay.address : { address: LOOP, port: server.address.port };
  const accepted = new Promise<Session>((r) => server.once('session', r));
  const sender = await client.connect({ uri: `rtmfp://${LOOP}/bench`, addresses: [target] });
  const receiver = await accepted;
  return { server, client, relay, sender, receiver };
}

async function closeLink(l: Link): Promise<void> {
  await l.client.close();
  await l.relay?.close();
  await l.server.close();
}

interface Transfer {
  wallMs: number;
  cpuMs: number;
  packets: number;
  bytes: number;
}

/** One flow carrying TRANSFER_BYTES, written whenever the flow has room, until all of it arrived. */
async function transfer(l: Link, payload: Uint8Array): Promise<Transfer> {
  const packetsBefore = l.receiver.counters.packetsIn;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  let received = 0;
  let onMessage: ((f: unknown, m: Uint8Array) => void) | undefined;
  const done = new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`transfer incomplete after ${TRANSFER_LIMIT_MS} ms: ${received}/${TRANSFER_BYTES}`)), TRANSFER_LIMIT_MS);
    onMessage = (_f, m) => {
      received += m.length;
      if (received >= TRANSFER_BYTES) {
        clearTimeout(t);
        resolve();
      }
    };
    l.receiver.on('message', onMessage);
  });
  const flow = l.sender.openFlow(META);
  let sent = 0;
  const pump = (): void => {
    while (sent < TRANSFER_BYTES && flow.writable) {
      const n = Math.min(MESSAGE_BYTES, TRANSFER_BYTES - sent);
      flow.write(payload.subarray(0, n));
      sent += n;
    }
  };
  flow.on('writable', pump);
  pump();
  try {
    await done;
  } finally {
    l.receiver.off('message', onMessage!);
    flow.close();
  }
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  return { wallMs, cpuMs: (cpu.user + cpu.system) / 1000, packets: l.receiver.counters.packetsIn - packetsBefore, bytes: received };
}

const suite: BenchSuite = {
  name: 'session',
  description: `RFC 7016 sessions over loopback UDP (both ends in one process): handshakes per session, group-2 DH inline vs pool, ${TRANSFER_BYTES / MiB} MiB flow goodput per delivered packet at 0 % and 5 % loss; cpu-us-per-packet rows hold process CPU ns (sender + receiver + relay) per delivered packet in meanNs`,
  async register(bench: Bench): Promise<SuiteHandle> {
    const units: Record<string, number> = {};
    const closers: (() => Promise<void>)[] = [];
    const summaries: (() => string)[] = [];

    // ---- handshakes ----
    // One client address opens every session: lift the per-address handshake rate limit (default
    // 8/s, burst 16), or IHellos past the burst are dropped and cost a 1 s retransmission each.
    const hsServer = await Endpoint.listen({ host: LOOP, identity: createServerIdentity(), handshake: { rateLimit: { burst: 1e9, perSecond: 1e9 } } });
    const hsClient = await Endpoint.listen({ host: LOOP });
    closers.push(async () => {
      await hsClient.close();
      await hsServer.close();
    });
    let lastAccepted: Session | undefined;
    hsServer.on('session', (s) => (lastAccepted = s));
    const serverAddress = [{ address: LOOP, port: hsServer.address.port }];
    bench.add('handshake/inline', async () => {
      const s = await hsClient.connect({ uri: `rtmfp://${LOOP}/bench`, addresses: serverAddress });
      s.abort();
      // The server emitted 'session' before sending RIKeying, so it is known by now.
      lastAccepted?.abort();
      lastAccepted = undefined;
    });
    units['handshake/inline'] = 1;

    // ---- Diffie-Hellman: what a pooled handshake would move off the main thread ----
    const far = generateDhKeyPair(2).publicKey;
    bench.add('dh/inline', () => generateDhKeyPair(2).computeSecret(far));
    units['dh/inline'] = 1;
    const pool = new PoolDiffieHellman({ threads: 2 });
    closers.push(() => pool.close());
    const pooled = async (): Promise<Uint8Array> => pool.computeSharedSecret(await pool.generateKeyPair(2), far);
    await pooled(); // workers started outside the timing
    bench.add('dh/pool', pooled);
    units['dh/pool'] = 1;
    bench.add(`dh/pool-x${POOL_BURST}`, () => Promise.all(Array.from({ length: POOL_BURST }, pooled)));
    units[`dh/pool-x${POOL_BURST}`] = POOL_BURST;

    // ---- goodput and CPU per packet ----
    const payload = new Uint8Array(randomBytes(MESSAGE_BYTES));
    for (const [label, drop, seed] of [['0-loss', 0, 1], ['5-loss', 0.05, 5]] as const) {
      const link = await openLink(drop, seed);
      closers.push(() => closeLink(link));
      // A pilot transfer outside the timing: warms the congestion window and gives the nominal
      // packet count; every sample is then rescaled to its own iteration's packet count.
      const pilot = await transfer(link, payload);
      const nominal = pilot.packets;
      const totals = { wallMs: 0, cpuMs: 0, packets: 0, bytes: 0, runs: 0 };
      const add = (t: Transfer): void => {
        totals.wallMs += t.wallMs;
        totals.cpuMs += t.cpuMs;
        totals.packets += t.packets;
        totals.bytes += t.bytes;
        totals.runs++;
      };
      bench.add(`goodput/${label}`, async () => {
        const t = await transfer(link, payload);
        add(t);
        return { overriddenDuration: (t.wallMs * nominal) / t.packets, overriddenIterationCost: t.wallMs };
      });
      units[`goodput/${label}`] = nominal;
      bench.add(`cpu-us-per-packet/${label}`, async () => {
        const t = await transfer(link, payload);
        add(t);
        return { overriddenDuration: (t.cpuMs * nominal) / t.packets, overriddenIterationCost: t.wallMs };
      });
      units[`cpu-us-per-packet/${label}`] = nominal;
      summaries.push(() => {
        const mbps = (totals.bytes * 8) / (totals.wallMs * 1000);
        const extra = link.relay ? `, relay dropped ${link.relay.counters.toServer.dropped}+${link.relay.counters.toClient.dropped} datagrams` : '';
        return (
          `  goodput/${label}: ${mbps.toFixed(1)} Mbit/s over ${totals.runs} transfers of ${TRANSFER_BYTES / MiB} MiB, ` +
          `${(totals.packets / totals.runs).toFixed(0)} packets delivered per transfer, ` +
          `${((totals.cpuMs * 1000) / totals.packets).toFixed(2)} CPU us per packet (whole process)` +
          `, ${((totals.cpuMs / totals.wallMs) * 100).toFixed(0)} % of one core${extra}`
        );
      });
    }

    return {
      unitsPerIteration: units,
      async teardown() {
        for (const s of summaries) console.log(s());
        await Promise.all(closers.map((c) => c()));
      },
    };
  },
};

export default suite;
