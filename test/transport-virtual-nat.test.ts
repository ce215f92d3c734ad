// RFC 4787 NAT behaviours on the virtual network: mapping (4.1) and filtering (5) tables, the
// mapping timeout and its refresh (4.3), hairpinning (6), realms (private addresses are not
// routable from outside) and a NAT behind a NAT. Then hole punching as RTMFP introductions will
// use it (RFC 7016 3.5.1.5-3.5.1.6): which NAT pairs let two peers reach each other directly.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ManualClock } from '../src/time/clock.js';
import { VirtualNetwork } from '../src/transport/virtual-network.js';
import { NatBehavior, type NatOptions } from '../src/transport/virtual-nat.js';
import { formatSocketAddress, type SocketAddress } from '../src/transport/socket-address.js';
import type { VirtualPort } from '../src/transport/virtual-port.js';
import { numbered, numberOf, record, type Arrival } from './transport-virtual-support.js';

const { EndpointIndependent: EI, AddressDependent: AD, AddressAndPortDependent: APD } = NatBehavior;

interface World {
  clock: ManualClock;
  net: VirtualNetwork;
  inside: VirtualPort;
  s1a: VirtualPort;
  s1b: VirtualPort;
  s2: VirtualPort;
  got: { inside: Arrival[]; s1a: Arrival[]; s1b: Arrival[]; s2: Arrival[] };
}

/** One host behind a NAT; public servers S1 (two ports) and S2. */
function world(nat: NatOptions): World {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 10 } });
  const n = net.addNat({ publicIp: '30.0.0.1', ...nat });
  const inside = net.bind({ host: net.addHost({ behind: n }), port: 5000 });
  const s1a = net.bind({ host: '20.0.1.1', port: 1000 });
  const s1b = net.bind({ host: '20.0.1.1', port: 1001 });
  const s2 = net.bind({ host: '20.0.2.2', port: 1000 });
  return { clock, net, inside, s1a, s1b, s2, got: { inside: record(inside, clock), s1a: record(s1a, clock), s1b: record(s1b, clock), s2: record(s2, clock) } };
}

function text(a: SocketAddress): string {
  return formatSocketAddress(a);
}

const mappingCases: [NatBehavior, boolean, boolean][] = [
  // mapping, same public port for S1:1001 as for S1:1000, same for S2:1000
  [EI, true, true],
  [AD, true, false],
  [APD, false, false],
];

for (const [mapping, sameForPort, sameForAddress] of mappingCases) {
  test(`mapping ${mapping}: public endpoint reused for another port: ${sameForPort}, for another address: ${sameForAddress}`, () => {
    const w = world({ mapping, filtering: EI });
    w.inside.send(numbered(1), w.s1a.localAddress);
    w.inside.send(numbered(2), w.s1b.localAddress);
    w.inside.send(numbered(3), w.s2.localAddress);
    w.clock.advance(20);
    const m1 = w.got.s1a[0]!.from;
    const m2 = w.got.s1b[0]!.from;
    const m3 = w.got.s2[0]!.from;
    assert.is(text(m1).split(':')[0], '30.0.0.1', 'the source is the NAT public address');
    assert.is(text(m1) === text(m2), sameForPort);
    assert.is(text(m1) === text(m3), sameForAddress);
    // Interned: a remote sees one object per public endpoint.
    assert.is(m1 === m2, sameForPort);
    // Replies to each mapping get back in (filtering is endpoint-independent here).
    w.s1a.send(numbered(11), m1);
    w.s1b.send(numbered(12), m2);
    w.s2.send(numbered(13), m3);
    w.clock.advance(20);
    assert.equal(w.got.inside.map((x) => numberOf(x.data)).sort(), [11, 12, 13]);
    assert.ok(w.got.inside.find((x) => numberOf(x.data) === 11)!.from === w.s1a.source);
  });
}

const filteringCases: [NatBehavior, boolean, boolean][] = [
  // filtering, S1's other port gets in, S2 gets in (the inside sent to S1:1000 only)
  [EI, true, true],
  [AD, true, false],
  [APD, false, false],
];

for (const [filtering, otherPortIn, otherAddressIn] of filteringCases) {
  test(`filtering ${filtering}: from the same address, other port: ${otherPortIn}; from another address: ${otherAddressIn}`, () => {
    const w = world({ mapping: EI, filtering });
    w.inside.send(numbered(1), w.s1a.localAddress);
    w.clock.advance(20);
    const pub = w.got.s1a[0]!.from;
    w.s1a.send(numbered(10), pub);
    w.s1b.send(numbered(11), pub);
    w.s2.send(numbered(12), pub);
    w.clock.advance(20);
    const expected = [10, ...(otherPortIn ? [11] : []), ...(otherAddressIn ? [12] : [])];
    assert.equal(w.got.inside.map((x) => numberOf(x.data)).sort(), expected);
    assert.is(w.net.counters.droppedNatFilter, 3 - expected.length);
    assert.is(w.s2.counters.droppedNatFilter, otherAddressIn ? 0 : 1);
    // Nothing gets in on a public port that has no mapping.
    w.s2.send(numbered(13), { ...pub, port: pub.port + 1 });
    w.clock.advance(20);
    assert.is(w.net.counters.droppedNatFilter, 4 - expected.length);
  });
}

test('mapping timeout: outbound refreshes, inbound does not (unless asked); an expired mapping gets a new port', () => {
  const w = world({ mapping: EI, filtering: EI, mappingTimeoutMs: 1000 });
  w.inside.send(numbered(1), w.s1a.localAddress);
  w.clock.advance(20);
  const pub = w.got.s1a[0]!.from;
  // Refreshed by outbound at 600: alive at 1500, even though inbound kept arriving.
  w.clock.advanceTo(600);
  w.inside.send(numbered(2), w.s1a.localAddress);
  for (let t = 700; t <= 1500; t += 200) {
    w.clock.advanceTo(t);
    w.s1a.send(numbered(t), pub);
  }
  w.clock.advanceTo(1600);
  assert.equal(w.got.inside.map((x) => numberOf(x.data)), [700, 900, 1100, 1300, 1500]);
  // The last outbound went through at 610: expired from 1610 on.
  w.clock.advanceTo(1605);
  w.s1a.send(numbered(99), pub); // reaches the NAT at 1615
  w.clock.advanceTo(1700);
  assert.is(w.got.inside.length, 5);
  w.inside.send(numbered(3), w.s1a.localAddress);
  w.clock.advanceTo(1800);
  const pub2 = w.got.s1a.at(-1)!.from;
  assert.is.not(pub2.port, pub.port);

  // With inbound refresh, inbound traffic alone keeps it.
  const v = world({ mapping: EI, filtering: EI, mappingTimeoutMs: 1000, inboundRefresh: true });
  v.inside.send(numbered(1), v.s1a.localAddress);
  v.clock.advance(20);
  const vp = v.got.s1a[0]!.from;
  for (let t = 500; t <= 3000; t += 500) {
    v.clock.advanceTo(t);
    v.s1a.send(numbered(t), vp);
  }
  v.clock.advanceTo(3100);
  assert.is(v.got.inside.length, 6);
});

test('hairpinning: inside to inside through the public address, seen from the public mapping; off drops it', () => {
  for (const hairpinning of [true, false]) {
    const clock = new ManualClock(0);
    const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 10 } });
    const nat = net.addNat({ mapping: EI, filtering: EI, hairpinning });
    const h1 = net.bind({ host: net.addHost({ behind: nat }) });
    const h2 = net.bind({ host: net.addHost({ behind: nat }) });
    const s = net.bind({ port: 1935 });
    const atS = record(s, clock);
    const at2 = record(h2, clock);
    h1.send(numbered(1), s.localAddress);
    h2.send(numbered(2), s.localAddress);
    clock.advance(20);
    const pub1 = atS.find((x) => numberOf(x.data) === 1)!.from;
    const pub2 = atS.find((x) => numberOf(x.data) === 2)!.from;
    h1.send(numbered(3), pub2);
    clock.advance(20);
    if (hairpinning) {
      assert.equal(at2.map((x) => numberOf(x.data)), [3]);
      assert.ok(at2[0]!.from === pub1, 'the source is h1 public mapping');
      assert.is(nat.counters.hairpinned, 1);
      // Hairpin skips the path: only the links (none) add time.
      assert.is(at2[0]!.at, 20);
    } else {
      assert.is(at2.length, 0);
      assert.is(nat.counters.droppedHairpin, 1);
      assert.is(net.counters.droppedNatFilter, 1);
    }
    // Inside the same realm the private address works directly.
    h1.send(numbered(4), h2.localAddress);
    clock.advance(20);
    assert.ok(at2.at(-1)!.from === h1.source && numberOf(at2.at(-1)!.data) === 4);
  }
});

test('realms: two NATs may use the same private address; it is unreachable from outside; a NAT behind a NAT', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock });
  const natA = net.addNat({ filtering: EI });
  const natB = net.addNat({ filtering: EI });
  const a = net.bind({ host: net.addHost({ behind: natA }), port: 7 });
  const b = net.bind({ host: net.addHost({ behind: natB }), port: 7 });
  assert.is(a.local.address, '192.168.0.2');
  assert.is(b.local.address, '192.168.0.2');
  assert.throws(() => net.bind({ host: '192.168.0.2' }), /several realms/);
  const s = net.bind();
  const atS = record(s, clock);
  s.send(numbered(1), a.localAddress); // a private address from the public realm
  clock.advance(1);
  assert.is(net.counters.droppedNoRoute, 1);
  // Carrier-grade NAT: home NAT behind a CGN; the server sees the CGN's address.
  const cgn = net.addNat({ publicIp: '40.0.0.1', filtering: EI });
  const home = net.addNat({ behind: cgn, filtering: EI });
  assert.is(home.publicIp, '192.168.0.2');
  const h = net.bind({ host: net.addHost({ behind: home }) });
  const atH = record(h, clock);
  h.send(numbered(2), s.localAddress);
  clock.advance(1);
  const seen = atS.at(-1)!.from;
  assert.is(text(seen).split(':')[0], '40.0.0.1');
  s.send(numbered(3), seen);
  clock.advance(1);
  assert.equal(atH.map((x) => numberOf(x.data)), [3]);
  assert.ok(atH[0]!.from === s.source);
});

/**
 * Hole punching the way an RTMFP introduction sets it up: each peer has talked to a server,
 * which saw its public endpoint; the server tells each the other's; both send to it at once,
 * and, like an RTMFP responder, also answer whatever source reached them. True when each
 * then receives from the other.
 */
function punch(natA: NatOptions, natB: NatOptions): boolean {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, defaultPath: { latencyMs: 15 } });
  const server = net.bind({ port: 1935 });
  const atServer = record(server, clock);
  const a = net.bind({ host: net.addHost({ behind: net.addNat(natA) }) });
  const b = net.bind({ host: net.addHost({ behind: net.addNat(natB) }) });
  const atA = record(a, clock);
  const atB = record(b, clock);
  a.send(numbered(1), server.localAddress);
  b.send(numbered(2), server.localAddress);
  clock.advance(50);
  const pubA = atServer.find((x) => numberOf(x.data) === 1)!.from;
  const pubB = atServer.find((x) => numberOf(x.data) === 2)!.from;
  for (let round = 0; round < 3; round++) {
    for (const to of new Set([pubB, ...atA.map((x) => x.from)])) a.send(numbered(10 + round), to);
    for (const to of new Set([pubA, ...atB.map((x) => x.from)])) b.send(numbered(20 + round), to);
    clock.advance(50);
  }
  return atA.length > 0 && atB.length > 0;
}

const punchCases: [string, NatOptions, NatOptions, boolean][] = [
  ['full cone <-> full cone', { mapping: EI, filtering: EI }, { mapping: EI, filtering: EI }, true],
  ['port-restricted <-> port-restricted', { mapping: EI, filtering: APD }, { mapping: EI, filtering: APD }, true],
  ['address-restricted <-> port-restricted', { mapping: EI, filtering: AD }, { mapping: EI, filtering: APD }, true],
  ['symmetric <-> full cone', { mapping: APD, filtering: APD }, { mapping: EI, filtering: EI }, true],
  ['symmetric <-> port-restricted', { mapping: APD, filtering: APD }, { mapping: EI, filtering: APD }, false],
  ['symmetric <-> symmetric', { mapping: APD, filtering: APD }, { mapping: APD, filtering: APD }, false],
  ['address-dependent mapping <-> address-restricted', { mapping: AD, filtering: AD }, { mapping: EI, filtering: AD }, true],
];

for (const [name, a, b, works] of punchCases) {
  test(`hole punching, ${name}: ${works ? 'direct path opens' : 'no direct path'}`, () => {
    assert.is(punch(a, b), works);
  });
}

test('NAT port allocation: preserve keeps the inside port when free; random is seeded', () => {
  const clock = new ManualClock(0);
  const net = new VirtualNetwork({ clock, seed: 4 });
  const nat = net.addNat({ portAllocation: 'preserve' });
  const s = net.bind();
  const atS = record(s, clock);
  const a = net.bind({ host: net.addHost({ behind: nat }), port: 6000 });
  const b = net.bind({ host: net.addHost({ behind: nat }), port: 6000 });
  a.send(numbered(1), s.localAddress);
  b.send(numbered(2), s.localAddress);
  clock.advance(1);
  assert.is(atS[0]!.from.port, 6000);
  assert.is.not(atS[1]!.from.port, 6000);
  const ports = (seed: number): number[] => {
    const c = new ManualClock(0);
    const n = new VirtualNetwork({ clock: c, seed });
    const r = n.addNat({ portAllocation: 'random' });
    const dst = n.bind();
    const got = record(dst, c);
    for (let i = 0; i < 5; i++) n.bind({ host: n.addHost({ behind: r }) }).send(numbered(i), dst.localAddress);
    c.advance(1);
    return got.map((x) => x.from.port);
  };
  assert.equal(ports(8), ports(8));
  assert.not.equal(ports(8), ports(9));
});

test.run();
