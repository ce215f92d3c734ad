// Flash message layer (RFC 7425 section 5, wire-reference E): TC metadata, framing, user
// control events, commands (liberal command object rule), data messages, status info objects.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Amf3Value, AmfEcmaArray } from '../src/wire/amf/index.js';
import {
  FlashError,
  FlashMessageDecoder,
  decodeFlashMessage,
  decodeFlashMessageFrame,
  decodeTcMetadata,
  decodeUserControl,
  encodeCommandMessage,
  encodeDataMessage,
  encodeFlashMessage,
  encodeTcMetadata,
  encodeUserControl,
  encodeUserControlMessage,
  findStatusInfo,
  findTcMetadata,
  isTcMetadata,
  makeStatusInfo,
  readStatusInfo,
  type FlashMessage,
  type UserControlEvent,
} from '../src/wire/flash/index.js';
import { decodeOptionList } from '../src/wire/option.js';
import { hex, toHex } from './amf-helpers.js';

function flashFails(f: () => unknown, code: string): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof FlashError, `expected FlashError, got ${String(e)}`);
    assert.is((e as FlashError).code, code, (e as Error).message);
    return;
  }
  assert.unreachable('no error');
}

const Tc = suite('TC flow metadata');

Tc('values seen on the wire (wire-reference E.1)', () => {
  assert.equal(decodeTcMetadata(hex('54430400')), { streamId: 0, receiveIntent: 0, flags: 4 });
  assert.equal(decodeTcMetadata(hex('54430401')), { streamId: 1, receiveIntent: 0, flags: 4 });
  assert.equal(decodeTcMetadata(hex('544304fa8901')), { streamId: 2000001, receiveIntent: 0, flags: 4 });
  assert.equal(decodeTcMetadata(hex('54430581 00')), { streamId: 128, receiveIntent: 1, flags: 5 });
  assert.equal(decodeTcMetadata(hex('544300')), { streamId: null, receiveIntent: 0, flags: 0 });
  assert.is(toHex(encodeTcMetadata(0)), '54430400');
  assert.is(toHex(encodeTcMetadata(2000001)), '544304fa8901');
  assert.is(toHex(encodeTcMetadata(1, 1)), '54430501');
});

Tc('recognized inside a user-data option list; other metadata is not TC', () => {
  // Mona return flow header options: metadata "TC\x04\x00", association to flow 2, marker (wire-reference C.2)
  const options = decodeOptionList(hex('05 00 54430400 02 0a 02 00'));
  assert.equal(findTcMetadata(options), { streamId: 0, receiveIntent: 0, flags: 4 });
  assert.is(findTcMetadata(decodeOptionList(hex('02 0a 02'))), null);
  assert.is(findTcMetadata(decodeOptionList(hex('04 00 474301'))), null); // NetGroup "GC"
  assert.ok(isTcMetadata(hex('54430400')));
  assert.not.ok(isTcMetadata(hex('4743')));
  flashFails(() => decodeTcMetadata(hex('4743 0400')), 'ERR_FLASH_MALFORMED');
  flashFails(() => decodeTcMetadata(hex('5443')), 'ERR_FLASH_TRUNCATED');
  flashFails(() => decodeTcMetadata(hex('544304')), 'ERR_FLASH_TRUNCATED');
  flashFails(() => decodeTcMetadata(hex('544304ff')), 'ERR_FLASH_TRUNCATED');
  flashFails(() => encodeTcMetadata(-1), 'ERR_FLASH_UNENCODABLE');
});

const Framing = suite('message framing');

Framing('type, 32-bit timestamp, payload view', () => {
  const m = hex('08 ffffff01 af00');
  const f = decodeFlashMessageFrame(m);
  assert.is(f.type, 8);
  assert.is(f.timestamp, 0xffffff01);
  assert.is(toHex(f.payload), 'af00');
  assert.is(f.payload.buffer, m.buffer);
  const msg = decodeFlashMessage(m);
  assert.is(msg.kind, 'audio');
  assert.is(toHex(encodeFlashMessage(msg)), toHex(m));
  assert.is(decodeFlashMessage(hex('0900000000')).kind, 'video');
  const so = decodeFlashMessage(hex('1300000000 0102'));
  assert.is(so.kind, 'other');
});

Framing('RTMP-only types are refused; short messages are truncated', () => {
  for (const t of [1, 2, 3, 5, 6, 0x16]) {
    flashFails(() => decodeFlashMessage(hex(t.toString(16).padStart(2, '0') + '00000000 00000080')), 'ERR_FLASH_RTMP_ONLY');
  }
  flashFails(() => decodeFlashMessage(hex('14000000')), 'ERR_FLASH_TRUNCATED');
  flashFails(() => encodeFlashMessage({ kind: 'other', type: 2, timestamp: 0, payload: new Uint8Array(0) }), 'ERR_FLASH_RTMP_ONLY');
});

const Uc = suite('user control events');

Uc('every known event, fixed bytes both ways', () => {
  const cases: [string, UserControlEvent][] = [
    ['0000 00000001', { kind: 'StreamBegin', streamId: 1 }],
    ['0000 001e8481', { kind: 'StreamBegin', streamId: 2000001 }],
    ['0001 00000003', { kind: 'StreamEOF', streamId: 3 }],
    ['0003 00000001 00000bb8', { kind: 'SetBufferLength', streamId: 1, bufferLengthMs: 3000 }],
    ['0006 12345678', { kind: 'PingRequest', time: 0x12345678 }],
    ['0007 12345678', { kind: 'PingResponse', time: 0x12345678 }],
    ['0022 00000007 00000003', { kind: 'FlowSync', syncId: 7, count: 3 }],
    ['0029 00003a98 00002710', { kind: 'SetKeepalive', serverKeepaliveMs: 15000, peerKeepaliveMs: 10000 }],
    ['0002 00000001', { kind: 'Unknown', eventType: 2, data: hex('00000001') }],
    ['1234', { kind: 'Unknown', eventType: 0x1234, data: new Uint8Array(0) }],
  ];
  for (const [h, ev] of cases) {
    assert.equal(decodeUserControl(hex(h)), ev, h);
    assert.is(toHex(encodeUserControl(ev)), h.replace(/ /g, ''));
  }
  assert.is(toHex(encodeUserControlMessage({ kind: 'SetKeepalive', serverKeepaliveMs: 15000, peerKeepaliveMs: 10000 })), '0400000000002900003a9800002710');
  flashFails(() => decodeUserControl(hex('00')), 'ERR_FLASH_TRUNCATED');
  flashFails(() => decodeUserControl(hex('0029 00003a98')), 'ERR_FLASH_TRUNCATED');
  flashFails(() => encodeUserControl({ kind: 'StreamBegin', streamId: -1 }), 'ERR_FLASH_UNENCODABLE');
});

const Cmd = suite('commands');

Cmd('RTMP form: name, transaction ID, null, args', () => {
  const m = hex('14 00000000 02 0004 706c6179 00 0000000000000000 05 02 0004 74657374');
  const msg = decodeFlashMessage(m);
  assert.is(msg.kind, 'command');
  if (msg.kind !== 'command') return;
  assert.equal(msg.command, { name: 'play', transactionId: 0, commandObject: null, args: ['test'], commandObjectOmitted: false, values: [null, 'test'] });
  assert.is(toHex(encodeFlashMessage(msg)), toHex(m));
  assert.is(toHex(encodeCommandMessage({ name: 'play', args: ['test'] })), toHex(m));
});

Cmd('liberal: command object left out (librtmfp setPeerInfo, createStream, P2P onStatus)', () => {
  const dec = new FlashMessageDecoder();
  const spi = dec.decode(encodeCommandMessage({ name: 'setPeerInfo', commandObjectOmitted: true, args: ['192.0.2.2:1', '[fd00::2]:2'] }));
  assert.ok(spi.kind === 'command');
  if (spi.kind !== 'command') return;
  assert.is(spi.command.commandObjectOmitted, true);
  assert.equal(spi.command.args, ['192.0.2.2:1', '[fd00::2]:2']);
  assert.equal(spi.command.values, ['192.0.2.2:1', '[fd00::2]:2']);
  const cs = dec.decode(hex('14 00000000 02000c63726561746553747265616d 00 0000000000000000'));
  assert.ok(cs.kind === 'command' && cs.command.commandObjectOmitted && cs.command.args.length === 0);
  const st = dec.decode(encodeCommandMessage({ name: 'onStatus', commandObjectOmitted: true, args: [makeStatusInfo('status', 'NetStream.Play.Start', 'x')] }));
  assert.ok(st.kind === 'command');
  if (st.kind !== 'command') return;
  assert.is(findStatusInfo(st.command)?.code, 'NetStream.Play.Start');
  // connect's first value is its command object, not an argument
  const c = dec.decode(encodeCommandMessage({ name: 'connect', transactionId: 1, commandObject: { app: 'live' }, args: ['token'] }));
  assert.ok(c.kind === 'command');
  if (c.kind !== 'command') return;
  assert.equal(c.command.commandObject, { app: 'live' });
  assert.equal(c.command.args, ['token']);
  assert.is(c.command.commandObjectOmitted, false);
});

Cmd('AMF3 command form (0x11): format byte 0, AVM+ values; objectEncoding 3', () => {
  const bytes = encodeCommandMessage({ name: 'publish', args: ['test'] }, { amf3Form: true, objectEncoding: 3 });
  assert.is(toHex(bytes), '11' + '00000000' + '00' + '02000770756' + '26c697368' + '000000000000000000' + '05' + '110609' + '74657374');
  const msg = decodeFlashMessage(bytes);
  assert.ok(msg.kind === 'command' && msg.type === 0x11);
  if (msg.kind !== 'command') return;
  assert.equal(msg.command.args, ['test']);
  // marked decode keeps the switch so the bytes come back exactly
  const marked = new FlashMessageDecoder({ markAvmPlus: true }).decode(bytes);
  assert.ok(marked.kind === 'command');
  if (marked.kind !== 'command') return;
  assert.ok(marked.command.args[0] instanceof Amf3Value);
  assert.is(toHex(encodeFlashMessage(marked)), toHex(bytes));
  // liberal: no format byte
  const nofmt = decodeFlashMessage(hex('11 00000000 02 0001 61 00 0000000000000000 05'));
  assert.ok(nofmt.kind === 'command' && nofmt.command.name === 'a');
});

Cmd('malformed commands are typed errors', () => {
  flashFails(() => decodeFlashMessage(hex('14 00000000 05')), 'ERR_FLASH_MALFORMED');
  flashFails(() => decodeFlashMessage(hex('14 00000000 02 0001 61')), 'ERR_FLASH_MALFORMED');
  flashFails(() => decodeFlashMessage(hex('14 00000000 02 0001 61 05')), 'ERR_FLASH_MALFORMED');
  flashFails(() => decodeFlashMessage(hex('14 00000000')), 'ERR_FLASH_MALFORMED');
});

const Data = suite('data messages');

Data('handler and args, both forms', () => {
  const m = hex('12 00000000 0200117c52746d7053616d706c65416363657373 0101 0101');
  const msg = decodeFlashMessage(m);
  assert.ok(msg.kind === 'data');
  if (msg.kind !== 'data') return;
  assert.equal(msg.data, { handler: '|RtmpSampleAccess', args: [true, true] });
  assert.is(toHex(encodeDataMessage(msg.data)), toHex(m));
  const meta = { handler: '@setDataFrame', args: ['onMetaData', new AmfEcmaArray({ width: 320 }, 1)] };
  const b3 = encodeDataMessage(meta, { amf3Form: true });
  assert.is(b3[0], 0x0f);
  assert.is(b3[5], 0);
  const back = decodeFlashMessage(b3) as Extract<FlashMessage, { kind: 'data' }>;
  assert.equal(back.data, meta);
  flashFails(() => decodeFlashMessage(hex('12 00000000 0101')), 'ERR_FLASH_MALFORMED');
});

const Status = suite('status info objects');

Status('build and read; Mona swapped level/code repaired', () => {
  const info = makeStatusInfo('status', 'NetStream.Publish.Start', 'test is now published', { details: 'test' });
  assert.equal(Object.keys(info), ['level', 'code', 'description', 'details']);
  const s = readStatusInfo(info);
  assert.equal(s, { level: 'status', code: 'NetStream.Publish.Start', description: 'test is now published', properties: info, levelCodeSwapped: false });
  const mona = readStatusInfo({ level: 'NetConnection.Call.Failed', code: 'error', description: 'No Method' });
  assert.is(mona?.level, 'error');
  assert.is(mona?.code, 'NetConnection.Call.Failed');
  assert.is(mona?.levelCodeSwapped, true);
  assert.is(readStatusInfo('x'), null);
  assert.is(readStatusInfo({ level: 1, code: 'a' }), null);
  assert.is(readStatusInfo(new AmfEcmaArray({ level: 'error', code: 'X' }))?.code, 'X');
});

Tc.run();
Framing.run();
Uc.run();
Cmd.run();
Data.run();
Status.run();
