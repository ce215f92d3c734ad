// Connect messages a decoder must refuse (issue 9 item 8), raw bytes for a bare session to write:
// shared by test/server-hostile-connect.test.ts and the attack suite (bench/attack).

/** A command message (type 0x14) `connect 1 {app: "live"}` followed by `args` (raw AMF0 bytes). */
export function connectMessage(args: Uint8Array): Uint8Array {
  const str = (s: string): number[] => [0x02, 0, s.length, ...Buffer.from(s)];
  const key = (s: string): number[] => [0, s.length, ...Buffer.from(s)];
  const one = [0x00, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0];
  const start = Uint8Array.from([0x14, 0, 0, 0, 0, ...str('connect'), ...one, 0x03, ...key('app'), ...str('live'), 0, 0, 0x09]);
  const out = new Uint8Array(start.length + args.length);
  out.set(start);
  out.set(args, start.length);
  return out;
}

/** `levels` nested strict arrays of one element around a null. */
export function deepArgs(levels: number): Uint8Array {
  const out = new Uint8Array(levels * 5 + 1);
  for (let i = 0; i < levels; i++) out.set([0x0a, 0, 0, 0, 1], i * 5);
  out[levels * 5] = 0x05;
  return out;
}

export const HOSTILE_CONNECT_ARGS: readonly (readonly [string, Uint8Array])[] = [
  ['nested 70 deep', deepArgs(70)],
  // More values than the decoder's maxValues (65,536). A 1.2 MB message, as in the issue, is over
  // the 1024 fragments a flow takes per message: write() refuses it, a foreign sender gets the
  // flow refused, and such a session is closed by the connect deadline (server-sessions.test).
  ['1.1 MB of nulls', new Uint8Array(1_100_000).fill(0x05)],
  ['a long string declared 4 GB', Uint8Array.from([0x0c, 0xff, 0xff, 0xff, 0xff, 0x41, 0x41])],
];
