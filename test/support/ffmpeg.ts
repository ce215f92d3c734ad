// ffmpeg / ffprobe for tests that need real media: an independent encoder to make FLV files and
// an independent decoder to count the frames in what we wrote. Tests skip (with a printed
// reason) when the tools are missing; scripts/install-test-deps.sh installs them.
import { spawnSync } from 'node:child_process';

function toolAvailable(name: string): boolean {
  const r = spawnSync(name, ['-version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

let cached: boolean | undefined;

/** True when both ffmpeg and ffprobe run. */
export function haveFfmpeg(): boolean {
  cached ??= toolAvailable('ffmpeg') && toolAvailable('ffprobe');
  return cached;
}

/** The encoder list of this ffmpeg has an encoder of that name. */
export function hasEncoder(name: string): boolean {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-encoders'], { encoding: 'utf8' });
  return new RegExp(`^\\s*\\S+\\s+${name}\\s`, 'm').test(r.stdout ?? '');
}

export interface TestFlvOptions {
  seconds?: number;
  /** Video frame rate (default 25). */
  rate?: number;
  /** Keyframe interval in frames (default = rate: one keyframe a second). */
  gop?: number;
}

/**
 * Makes an H.264 + AAC FLV (testsrc 160x120 + a sine tone) at `path`. Throws if ffmpeg fails.
 * Returns false (and makes nothing) when this ffmpeg lacks libx264 or aac.
 */
export function makeTestFlv(path: string, options: TestFlvOptions = {}): boolean {
  if (!hasEncoder('libx264') || !hasEncoder('aac')) return false;
  const seconds = options.seconds ?? 2;
  const rate = options.rate ?? 25;
  const gop = options.gop ?? rate;
  const r = spawnSync(
    'ffmpeg',
    [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', `testsrc=size=160x120:rate=${rate}`,
      '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100',
      '-t', String(seconds),
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-g', String(gop),
      '-c:a', 'aac', '-b:a', '64k',
      '-f', 'flv', path,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (r.status !== 0) throw new Error(`ffmpeg failed (${r.status}): ${r.stderr}`);
  return true;
}

export interface ProbeStream {
  codec_type: string;
  codec_name: string;
  nb_read_frames?: string;
}

/** ffprobe -count_frames: the streams of a file and how many frames each decodes to. */
export function probe(path: string): ProbeStream[] {
  const r = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-show_streams', '-of', 'json', path], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (r.status !== 0) throw new Error(`ffprobe failed on ${path}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { streams: ProbeStream[] }).streams;
}

/** Decoded frame count of the first stream of `type` ('video' / 'audio'), or -1 if there is none. */
export function frameCount(streams: ProbeStream[], type: string): number {
  const s = streams.find((x) => x.codec_type === type);
  return s ? Number(s.nb_read_frames) : -1;
}
