// Shared helpers of the direct (peer-to-peer) NetStream tests.
import * as assert from 'uvu/assert';
import type { NetConnection, NetConnectionOptions } from '../src/flash/net-connection.js';
import type { NetStream } from '../src/flash/net-stream.js';
import type { AmfValue } from '../src/wire/amf/types.js';
import { mulberry32 } from './support/prng.js';
import { LOOP, until, statusOf, connect as connectLoopback } from './support/flash-client.js';
export { LOOP, until, statusOf };

/** A loopback NetConnection with a short close wait (direct tests close many). */
export function connect(uri: string, options: NetConnectionOptions = {}): Promise<NetConnection> {
  return connectLoopback(uri, { closeWaitMs: 500, ...options });
}


/** Every status code a stream reports, in order. */
export function statusLog(ns: NetStream): string[] {
  const codes: string[] = [];
  ns.on('netStatus', (i) => codes.push(i.code));
  return codes;
}

export interface Message {
  kind: 'audio' | 'video' | 'data';
  timestamp: number;
  payload: Uint8Array;
  /** For data: handler and args. */
  handler?: string;
  args?: AmfValue[];
}

/**
 * A synthetic stream: AVC-style video (keyframe first and every 25 frames, 40 ms apart), two
 * AAC-style audio messages per video frame, and a data message every 10 video frames.
 */
export function makeMessages(seed: number, videoFrames: number): Message[] {
  const next = mulberry32(seed);
  const int = (n: number): number => Math.floor(next() * n);
  const fill = (b: Uint8Array): void => {
    for (let i = 0; i < b.length; i++) b[i] = int(256);
  };
  const out: Message[] = [];
  for (let i = 0; i < videoFrames; i++) {
    const t = i * 40;
    const key = i % 25 === 0;
    const v = new Uint8Array(key ? 6000 + int(3000) : 800 + int(1500));
    fill(v);
    v[0] = key ? 0x17 : 0x27;
    v[1] = 1;
    out.push({ kind: 'video', timestamp: t, payload: v });
    for (const at of [t, t + 20]) {
      const a = new Uint8Array(150 + int(100));
      fill(a);
      a[0] = 0xaf;
      a[1] = 1;
      out.push({ kind: 'audio', timestamp: at, payload: a });
    }
    if (i % 10 === 5) out.push({ kind: 'data', timestamp: 0, payload: new Uint8Array(0), handler: 'onCue', args: [i, `cue ${i}`, { at: t }] });
  }
  return out;
}

/** Publishes `messages` on a publishing NetStream; every write must be accepted. */
export function publishAll(ns: NetStream, messages: readonly Message[]): void {
  for (const m of messages) {
    if (m.kind === 'data') ns.send(m.handler!, ...m.args!);
    else assert.ok(m.kind === 'audio' ? ns.sendAudio(m.timestamp, m.payload) : ns.sendVideo(m.timestamp, m.payload), `${m.kind} ${m.timestamp} accepted`);
  }
}

/** What a player received, per kind (audio, video and data travel on separate flows). */
export class Received {
  readonly audio: { timestamp: number; payload: Uint8Array }[] = [];
  readonly video: { timestamp: number; payload: Uint8Array }[] = [];
  readonly data: { handler: string; args: AmfValue[] }[] = [];
  readonly metadata: AmfValue[] = [];
  constructor(ns: NetStream) {
    ns.on('audio', (timestamp, p) => void this.audio.push({ timestamp, payload: p.slice() }));
    ns.on('video', (timestamp, p) => void this.video.push({ timestamp, payload: p.slice() }));
    ns.on('data', (handler, args) => {
      if (handler === 'onMetaData') this.metadata.push(args[0] ?? null);
      else if (handler !== '|RtmpSampleAccess') this.data.push({ handler, args });
    });
  }

  count(): number {
    return this.audio.length + this.video.length + this.data.length;
  }

  /** Every message of `sent`, intact and in order within its kind. */
  assertMatches(sent: readonly Message[], who: string): void {
    const audio = sent.filter((m) => m.kind === 'audio');
    const video = sent.filter((m) => m.kind === 'video');
    const data = sent.filter((m) => m.kind === 'data');
    assert.is(this.audio.length, audio.length, `${who}: audio count`);
    assert.is(this.video.length, video.length, `${who}: video count`);
    assert.is(this.data.length, data.length, `${who}: data count`);
    audio.forEach((m, i) => {
      assert.is(this.audio[i]!.timestamp, m.timestamp, `${who}: audio ${i} timestamp`);
      assert.ok(Buffer.from(this.audio[i]!.payload).equals(m.payload), `${who}: audio ${i} bytes`);
    });
    video.forEach((m, i) => {
      assert.is(this.video[i]!.timestamp, m.timestamp, `${who}: video ${i} timestamp`);
      assert.ok(Buffer.from(this.video[i]!.payload).equals(m.payload), `${who}: video ${i} bytes`);
    });
    data.forEach((m, i) => {
      assert.is(this.data[i]!.handler, m.handler, `${who}: data ${i} handler`);
      assert.equal(this.data[i]!.args, m.args, `${who}: data ${i} args`);
    });
  }
}

export function mediaBytes(messages: readonly Message[]): number {
  return messages.reduce((n, m) => n + m.payload.length, 0);
}
