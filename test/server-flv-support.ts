// Helpers shared by the server FLV tests: synthetic FLV files (no ffmpeg needed) and a
// subscriber that keeps what it is given.
import { writeFileSync } from 'node:fs';
import { encodeFlvHeader, encodeFlvScriptData, encodeFlvTag, FlvTagType, type FlvTag } from '../src/media/index.js';
import type { RelayedMessage, StreamSubscriber } from '../src/stream/live-stream.js';
import type { ManualClock } from '../src/time/clock.js';

export interface Collected {
  type: number;
  timestamp: number;
  data: Uint8Array;
  /** Clock time of delivery (the collector's `now`). */
  at: number;
}

/** A subscriber that keeps everything it is given, with the time it arrived. */
export class Collector implements StreamSubscriber {
  readonly messages: Collected[] = [];
  publishes = 0;
  unpublishes = 0;
  constructor(private readonly now: () => number = () => performance.now()) {}
  onPublish(): void {
    this.publishes++;
  }
  onUnpublish(): void {
    this.unpublishes++;
  }
  deliver(m: RelayedMessage): void {
    this.messages.push({ type: m.type, timestamp: m.timestamp, data: m.payload, at: this.now() });
  }
  media(): Collected[] {
    return this.messages.filter((m) => m.type === 8 || m.type === 9);
  }
}

/**
 * Tags of a synthetic stream: onMetaData, then H.263 video every 40 ms (keyframe each second)
 * and Nellymoser-style audio every 23 ms, up to `durationMs` inclusive. Bodies are
 * deterministic bytes; only the first byte (codec / frame type) means anything.
 */
export function syntheticTags(durationMs: number): FlvTag[] {
  const tags: FlvTag[] = [
    { type: FlvTagType.ScriptData, timestamp: 0, data: encodeFlvScriptData('onMetaData', [{ duration: durationMs / 1000, width: 160, height: 120 }]) },
  ];
  let v = 0;
  let a = 0;
  let n = 0;
  while (v <= durationMs || a <= durationMs) {
    const video = v <= a ? v <= durationMs : a > durationMs;
    const ts = video ? v : a;
    const body = new Uint8Array(video ? 200 + (n % 50) : 60);
    for (let i = 1; i < body.length; i++) body[i] = (n * 31 + i * 7) & 0xff;
    // H.263 (codec 2): frame type 1 = key, 2 = inter. Audio: Nellymoser (6), 44 kHz mono.
    body[0] = video ? ((ts % 1000 === 0 ? 1 : 2) << 4) | 2 : 0x6e;
    tags.push({ type: video ? FlvTagType.Video : FlvTagType.Audio, timestamp: ts, data: body });
    if (video) v += 40;
    else a += 23;
    n++;
  }
  return tags;
}

/** The bytes of an FLV file holding `tags`. */
export function flvBytes(tags: FlvTag[]): Uint8Array {
  const parts = [encodeFlvHeader({ audio: true, video: true }), ...tags.map(encodeFlvTag)];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export function writeFlv(path: string, tags: FlvTag[]): Uint8Array {
  const bytes = flvBytes(tags);
  writeFileSync(path, bytes);
  return bytes;
}

/**
 * Runs a ManualClock-paced publisher to its end: whenever the publisher waits on the clock
 * (and not on file I/O), moves the clock to its next timer. `until` ends the drive early.
 */
export async function driveClock(clock: ManualClock, finished: () => boolean, until: () => boolean = () => false): Promise<void> {
  for (let spins = 0; !finished() && !until(); ) {
    await new Promise((resolve) => setImmediate(resolve));
    if (clock.pending > 0) {
      clock.advanceTo(clock.nextDue());
      spins = 0;
    } else if (++spins > 100_000) {
      throw new Error('publisher neither finished nor waited on the clock');
    }
  }
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}
