// Issue 9, finding 8 (second part): a 10 MB video message was accepted (sendVideo returned true),
// about 2 MB went out and the stream stalled for good with no error. It must be refused at the
// sender with a typed error, and the stream must go on: frames sent after it reach a player.
import { NetConnection } from '../../../src/flash/net-connection.js';
import { NetStream } from '../../../src/flash/net-stream.js';
import { RtmfpError } from '../../../src/errors.js';
import { Expectations, LOOPBACK, ServerProcess, waitFor, type Attack } from '../harness.js';

/** An AVC keyframe tag body of `size` bytes (frame type 1, codec 7, NALU). */
function keyframe(size: number): Uint8Array {
  const b = new Uint8Array(size);
  b[0] = 0x17;
  b[1] = 1;
  return b;
}

export const oversize: Attack = {
  name: 'oversize',
  finding: 'issue 9.8: an oversized message is refused at the sender with a typed error and never stalls the flow',
  async run({ short }) {
    const e = new Expectations();
    const server = await ServerProcess.start();
    const uri = `rtmfp://${LOOPBACK}:${server.port}/live`;
    const pub = new NetConnection();
    const sub = new NetConnection();
    const after = short ? 20 : 200;
    let received = 0;
    let refusedCode = '';
    try {
      e.check((await pub.connect(uri)).code === 'NetConnection.Connect.Success', 'publisher connect');
      e.check((await sub.connect(uri)).code === 'NetConnection.Connect.Success', 'player connect');
      const ps = new NetStream(pub);
      await waitFor(() => ps.state !== 'creating', 5000);
      ps.publish('big');
      await waitFor(() => ps.state === 'publishing', 5000);
      const pl = new NetStream(sub);
      await waitFor(() => pl.state !== 'creating', 5000);
      pl.on('video', () => received++);
      pl.play('big');
      await new Promise((r) => setTimeout(r, 300));
      try {
        ps.sendVideo(0, keyframe(10 * 1024 * 1024));
        e.check(false, 'a 10 MB video message was accepted');
      } catch (err) {
        refusedCode = err instanceof RtmfpError ? err.code : String(err);
        e.check(err instanceof RtmfpError, `refused with ${String(err)}, not a typed error`);
      }
      for (let i = 1; i <= after; i++) {
        ps.sendVideo(i * 40, keyframe(4000));
        if (i % 10 === 0) await new Promise((r) => setTimeout(r, 20));
      }
      await waitFor(() => received >= after, 10_000);
      e.check(received >= after, `the player got ${received} of the ${after} frames sent after the refused one`);
    } finally {
      await pub.close();
      await sub.close();
      await server.stop();
    }
    return { metrics: { framesAfter: after, framesReceived: received, refusedTyped: refusedCode.startsWith('ERR_') ? 1 : 0 }, failures: e.failures };
  },
};
