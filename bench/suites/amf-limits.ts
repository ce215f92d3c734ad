import type { Bench } from 'tinybench';
import { AmfError } from '../../src/wire/amf/index.js';
import { encodeFlashMessageFrame, FlashMessageDecoder, FlashMessageType } from '../../src/wire/flash/message.js';
import type { BenchSuite, SuiteHandle } from '../suite.js';

/**
 * Hostile AMF (issue 9 item 7): a 1 MB command message `echo 0 null null null ...` (about a
 * million AMF0 nulls), decoded as the server decodes a client's command, under the old value
 * limit (2^20, the whole message decodes) and under the default limit (2^16, refused after 65,537
 * values). For scale: a 1 MB video message through the same decoder, plus the copy the server
 * makes of every command message.
 */
const MESSAGE_BYTES = 1 << 20;

function nullsCall(): Uint8Array {
  const m = new Uint8Array(MESSAGE_BYTES);
  const head = [FlashMessageType.CommandAmf0, 0, 0, 0, 0, 0x02, 0x00, 0x04, ...Buffer.from('echo'), 0x00, 0, 0, 0, 0, 0, 0, 0, 0];
  m.set(head);
  m.fill(0x05, head.length);
  return m;
}

const suite: BenchSuite = {
  name: 'amf-limits',
  description: 'cost of a 1 MB AMF0 command of nulls: old limit (2^20 values, decodes) vs default (2^16, refused); 1 MB video message and a 1 MB copy for scale',
  async register(bench: Bench): Promise<SuiteHandle> {
    const call = nullsCall();
    const video = encodeFlashMessageFrame({ type: FlashMessageType.Video, timestamp: 0, payload: new Uint8Array(MESSAGE_BYTES - 5) });
    const old = new FlashMessageDecoder({ maxValues: 1 << 20 });
    const current = new FlashMessageDecoder();
    const decoded = old.decode(call);
    if (decoded.kind !== 'command' || decoded.command.values.length < 1_000_000) throw new Error('the nulls call did not decode under the old limit');
    const refused = (): void => {
      try {
        current.decode(call);
      } catch (e) {
        if (e instanceof AmfError && e.code === 'ERR_AMF_LIMIT') return;
        throw e;
      }
      throw new Error('the nulls call decoded under the default limit');
    };
    refused();
    bench.add('nulls-call-1mb/old-limit-decoded', () => old.decode(call.slice()));
    bench.add('nulls-call-1mb/default-limit-refused', () => {
      call.slice();
      refused();
    });
    bench.add('video-1mb/frame-decoded', () => current.decode(video.slice()));
    bench.add('copy-1mb', () => call.slice());
    return {};
  },
};

export default suite;
