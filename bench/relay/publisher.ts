/**
 * The relay benchmark's publisher: one NetConnection + NetStream publishing a synthetic live
 * stream paced in real time. Video: 25 fps, a keyframe every 2 s (~30 KB), inter frames sized so
 * video averages VIDEO_BITS_PER_SECOND; audio: AAC-style messages at 50 per second carrying
 * AUDIO_BITS_PER_SECOND. Every payload carries a sequence number and its send time (see
 * protocol.ts) so subscribers can count losses and measure lateness.
 */
import { NetConnection } from '../../src/flash/net-connection.js';
import { NetStream } from '../../src/flash/net-stream.js';
import type { NetStatusInfo } from '../../src/flash/net-status.js';
import { xorshift32 } from '../rng.js';
import { monotonicMs, RELAY_APP, RELAY_STREAM, SENT_AT_OFFSET, SEQ_OFFSET } from './protocol.js';

export const VIDEO_FPS = 25;
export const KEYFRAME_INTERVAL_S = 2;
export const KEYFRAME_BYTES = 30_000;
export const VIDEO_BITS_PER_SECOND = 1_500_000;
/** Inter frames carry what the keyframe leaves of the 2 s budget: ~6.98 KB. */
export const INTER_FRAME_BYTES = Math.round(
  ((VIDEO_BITS_PER_SECOND / 8) * KEYFRAME_INTERVAL_S - KEYFRAME_BYTES) / (VIDEO_FPS * KEYFRAME_INTERVAL_S - 1),
);
export const AUDIO_PER_SECOND = 50;
export const AUDIO_BITS_PER_SECOND = 128_000;
export const AUDIO_BYTES = AUDIO_BITS_PER_SECOND / 8 / AUDIO_PER_SECOND;
/** One pacing tick: an audio message every tick, a video frame every other one. */
const TICK_MS = 1000 / AUDIO_PER_SECOND;
const FRAMES_PER_GOP = VIDEO_FPS * KEYFRAME_INTERVAL_S;

export interface PublishWindow {
  /** Sequence numbers [fromSeq, toSeq) were attempted in this window. */
  fromSeq: number;
  toSeq: number;
  /** Messages the publisher's flows accepted. */
  accepted: number;
  /** sendAudio/sendVideo refusals (flow full). */
  refused: number;
  /** Payload bytes attempted. */
  bytes: number;
  /** Wall time from the first to the last send, ms. */
  durationMs: number;
  /** Worst delay of a tick behind its schedule, ms (the publisher's own event-loop lag). */
  maxBehindMs: number;
}

function randomPayload(bytes: number, first: number, seed: number): Uint8Array {
  const next = xorshift32(seed);
  const p = new Uint8Array(bytes);
  for (let i = 0; i < bytes; i++) p[i] = Math.floor(next() * 256);
  p[0] = first;
  p[1] = 1; // AVC NALU / AAC raw: a media frame, not a sequence header
  return p;
}

function sleepUntil(at: number): Promise<void> {
  const wait = at - monotonicMs();
  return wait > 0 ? new Promise((r) => setTimeout(r, wait)) : Promise.resolve();
}

export class BenchPublisher {
  private seq = 0;
  /** RTMP timestamp (ms) of the next tick: continues across windows. */
  private timestamp = 0;
  private readonly keyframe = randomPayload(KEYFRAME_BYTES, 0x17, 1); // keyframe | AVC
  private readonly inter = randomPayload(INTER_FRAME_BYTES, 0x27, 2); // inter frame | AVC
  private readonly audio = randomPayload(AUDIO_BYTES, 0xaf, 3); // AAC 44 kHz stereo

  private constructor(
    readonly nc: NetConnection,
    readonly ns: NetStream,
  ) {}

  static async open(port: number): Promise<BenchPublisher> {
    const nc = new NetConnection({ endpointOptions: { host: '127.0.0.1' } });
    const info = await nc.connect(`rtmfp://127.0.0.1:${port}/${RELAY_APP}`);
    if (info.code !== 'NetConnection.Connect.Success') throw new Error(`publisher connect: ${info.code}`);
    const ns = new NetStream(nc);
    const started = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('publisher: no NetStream.Publish.Start within 5 s')), 5000);
      ns.on('netStatus', (i: NetStatusInfo) => {
        if (i.code === 'NetStream.Publish.Start') {
          clearTimeout(timer);
          resolve();
        } else if (i.level === 'error') {
          clearTimeout(timer);
          reject(new Error(`publisher: ${i.code}`));
        }
      });
    });
    ns.publish(RELAY_STREAM);
    await started;
    ns.send('@setDataFrame', 'onMetaData', {
      width: 1280,
      height: 720,
      framerate: VIDEO_FPS,
      videocodecid: 7,
      videodatarate: VIDEO_BITS_PER_SECOND / 1000,
      audiocodecid: 10,
      audiodatarate: AUDIO_BITS_PER_SECOND / 1000,
    });
    return new BenchPublisher(nc, ns);
  }

  /** Publishes `seconds` of stream in real time, starting with a keyframe. */
  async publish(seconds: number): Promise<PublishWindow> {
    const ticks = Math.round((seconds * 1000) / TICK_MS);
    const fromSeq = this.seq;
    let accepted = 0;
    let refused = 0;
    let bytes = 0;
    let maxBehindMs = 0;
    const send = (video: boolean, payload: Uint8Array): void => {
      const dv = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
      dv.setUint32(SEQ_OFFSET, this.seq++);
      dv.setFloat64(SENT_AT_OFFSET, monotonicMs());
      // sendAudio/sendVideo copy the payload into the message, so the buffers are reused.
      const ok = video ? this.ns.sendVideo(this.timestamp, payload) : this.ns.sendAudio(this.timestamp, payload);
      if (ok) accepted++;
      else refused++;
      bytes += payload.length;
    };
    const t0 = monotonicMs();
    for (let k = 0; k < ticks; k++) {
      const due = t0 + k * TICK_MS;
      await sleepUntil(due);
      maxBehindMs = Math.max(maxBehindMs, monotonicMs() - due);
      if (k % 2 === 0) {
        const frame = k / 2;
        send(true, frame % FRAMES_PER_GOP === 0 ? this.keyframe : this.inter);
      }
      send(false, this.audio);
      this.timestamp += TICK_MS;
    }
    return { fromSeq, toSeq: this.seq, accepted, refused, bytes, durationMs: monotonicMs() - t0, maxBehindMs };
  }

  close(): Promise<void> {
    this.ns.close();
    return this.nc.close();
  }
}
