// Every reassembled TC message in the captured vectors (../shared/vectors/{cpp-tc,mona-tc,
// mona-p2p,mini,cross}, field `messagesStartingHere`) decoded with our codecs and compared with
// the documented decode; then re-encoded byte for byte.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { Amf3Value, AmfEcmaArray, isPlainObject, type AmfValue } from '../src/wire/amf/index.js';
import {
  FlashMessageDecoder,
  decodeFlashMessageFrame,
  decodeTcMetadata,
  encodeFlashMessage,
  findStatusInfo,
} from '../src/wire/flash/index.js';
import { hex, toHex } from './amf-helpers.js';

// The compiled test is <repo>/dist/test/flash-vectors.test.js; vectors live in <repo>/../shared/vectors.
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const vectorsDir = join(repoRoot, '..', 'shared', 'vectors');
const DIRS = ['cpp-tc', 'mona-tc', 'mona-p2p', 'mini', 'cross'];

interface DocMessage {
  flowID: number;
  flowMetadata: string;
  seq: number;
  fragments: number;
  length: number;
  messageHex?: string;
  messageHead?: string;
  tcMessage?: {
    type: number;
    typeName: string;
    timestamp: number;
    payloadLength: number;
    amf0?: unknown[];
    event?: number;
    eventData?: string;
    streamID?: number;
    serverKeepaliveMs?: number;
    peerKeepaliveMs?: number;
    payloadHead?: string;
  };
  file: string;
}

function collect(): DocMessage[] {
  const out: DocMessage[] = [];
  for (const d of DIRS) {
    const dir = join(vectorsDir, d);
    if (!existsSync(dir)) continue;
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
      const file = `${d}/${f}`;
      const walk = (o: unknown): void => {
        if (Array.isArray(o)) o.forEach(walk);
        else if (o && typeof o === 'object') {
          for (const [k, v] of Object.entries(o)) {
            if (k === 'messagesStartingHere' && Array.isArray(v)) for (const m of v) out.push({ ...(m as DocMessage), file });
            else walk(v);
          }
        }
      };
      walk(JSON.parse(readFileSync(join(dir, f), 'utf8')));
    }
  }
  return out;
}

/** Our value model in the vectors' documented JSON shape ("@amf3" for AVM+ values, "@ecmaCount" for ECMA arrays). */
function toDoc(v: AmfValue): unknown {
  if (v instanceof Amf3Value) return { '@amf3': toDoc(v.value) };
  if (v instanceof AmfEcmaArray) {
    const o: Record<string, unknown> = { '@ecmaCount': v.declaredCount };
    for (const [k, x] of Object.entries(v.properties)) o[k] = toDoc(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(toDoc);
  if (v && typeof v === 'object' && isPlainObject(v)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = toDoc(x);
    return o;
  }
  // JSON has no -Infinity/NaN: the vector files render them as null (rtmfp-cpp's PublishNotify
  // sends `priority` = -Infinity, bytes 00 fff0000000000000).
  if (typeof v === 'number' && !Number.isFinite(v)) return null;
  return v;
}

const TC_STREAMS: Record<string, number> = { '54430400': 0, '54430401': 1, '544304fa8901': 2000001 };

const messages = existsSync(vectorsDir) ? collect() : [];

test('vectors present', () => {
  assert.ok(messages.length >= 70, `found ${messages.length} messages in ${vectorsDir}`);
});

test('flow metadata of every message is TC with the documented stream ID', () => {
  for (const m of messages) {
    const want = TC_STREAMS[m.flowMetadata];
    assert.ok(want !== undefined, `${m.file}: unexpected metadata ${m.flowMetadata}`);
    const tc = decodeTcMetadata(hex(m.flowMetadata));
    assert.is(tc.streamId, want);
    assert.is(tc.receiveIntent, 0);
  }
});

test('every complete message decodes to its documented fields and re-encodes byte for byte', () => {
  const marked = new FlashMessageDecoder({ markAvmPlus: true });
  const plain = new FlashMessageDecoder();
  const kinds: Record<string, number> = {};
  for (const m of messages) {
    if (!m.messageHex) continue;
    const where = `${m.file} flow ${m.flowID} seq ${m.seq}`;
    const bytes = hex(m.messageHex);
    assert.is(bytes.length, m.length, where);
    const doc = m.tcMessage!;
    const msg = marked.decode(bytes);
    assert.is(msg.type, doc.type, where);
    assert.is(msg.timestamp, doc.timestamp, where);
    kinds[msg.kind] = (kinds[msg.kind] ?? 0) + 1;
    switch (msg.kind) {
      case 'command': {
        const c = msg.command;
        assert.equal(toDoc([c.name, c.transactionId, ...c.values]), doc.amf0, where);
        break;
      }
      case 'data':
        assert.equal(toDoc([msg.data.handler, ...msg.data.args]), doc.amf0, where);
        break;
      case 'user-control': {
        const ev = msg.event;
        assert.is(toHex(bytes.subarray(7)), doc.eventData, where);
        if (doc.event === 0) assert.equal(ev, { kind: 'StreamBegin', streamId: doc.streamID! }, where);
        else if (doc.event === 41) assert.equal(ev, { kind: 'SetKeepalive', serverKeepaliveMs: doc.serverKeepaliveMs!, peerKeepaliveMs: doc.peerKeepaliveMs! }, where);
        else assert.unreachable(`${where}: undocumented event ${doc.event}`);
        break;
      }
      case 'audio':
      case 'video':
        assert.is(msg.payload.length, doc.payloadLength, where);
        assert.is(toHex(msg.payload.subarray(0, doc.payloadHead!.length / 2)), doc.payloadHead, where);
        break;
      default:
        assert.unreachable(`${where}: decoded as ${msg.kind}`);
    }
    assert.is(toHex(encodeFlashMessage(msg)), m.messageHex, `${where}: re-encode`);
    // The default (unmarked) decoder gives the same message with AVM+ values in place.
    assert.is(plain.decode(bytes).kind, msg.kind);
  }
  assert.ok(kinds.command! >= 40 && kinds.data! >= 7 && kinds['user-control']! >= 7 && kinds.audio! >= 10 && kinds.video! >= 4, JSON.stringify(kinds));
});

test('fragmented messages: the documented head decodes to the documented type and timestamp', () => {
  let n = 0;
  for (const m of messages) {
    if (m.messageHex) continue;
    assert.ok(m.messageHead && m.fragments > 1, `${m.file}: message without hex or head`);
    const f = decodeFlashMessageFrame(hex(m.messageHead));
    assert.is(f.type, m.tcMessage!.type);
    assert.is(f.timestamp, m.tcMessage!.timestamp);
    assert.is(toHex(f.payload.subarray(0, m.tcMessage!.payloadHead!.length / 2)), m.tcMessage!.payloadHead);
    n++;
  }
  assert.is(n, 3);
});

/** Finds complete command messages by name in one file. */
function commands(file: string, name: string) {
  const dec = new FlashMessageDecoder();
  return messages
    .filter((m) => m.file === file && m.messageHex && m.tcMessage?.typeName.startsWith('Command'))
    .map((m) => dec.decode(hex(m.messageHex!)))
    .flatMap((x) => (x.kind === 'command' && x.command.name === name ? [x.command] : []));
}

test('semantics: connect, _result info, liberal command object, AMF3 publish name, Mona quirk', () => {
  const [connect] = commands('mona-tc/session-publish.json', 'connect');
  assert.ok(connect);
  assert.is(connect!.transactionId, 0); // librtmfp sends 0 for connect
  assert.is((connect!.commandObject as Record<string, AmfValue>).objectEncoding, 3);
  assert.is((connect!.commandObject as Record<string, AmfValue>).tcUrl, 'rtmfp://127.0.0.1:19572/live');

  const [cppConnect] = commands('cpp-tc/session-checksum.json', 'connect');
  assert.is(cppConnect!.transactionId, 1);
  const results = commands('cpp-tc/session-checksum.json', '_result');
  const info = findStatusInfo(results[0]!);
  assert.is(info?.code, 'NetConnection.Connect.Success');
  assert.is(info?.level, 'status');
  assert.is(typeof info?.properties.serverFingerprint, 'string');
  assert.equal(results[1]!.args, [1]); // createStream result: stream 1

  // librtmfp: setPeerInfo and createStream without the null command object
  const [spi] = commands('mona-tc/session-publish.json', 'setPeerInfo');
  assert.is(spi!.commandObjectOmitted, true);
  assert.is(spi!.args.length, 2);
  assert.match(String(spi!.args[0]), /^192\.0\.2\.2:\d+$/);
  const [cs] = commands('mona-tc/session-publish.json', 'createStream');
  assert.ok(cs!.commandObjectOmitted && cs!.args.length === 0);
  // rtmfp-cpp: setPeerInfo with the null, no addresses
  const [cppSpi] = commands('cpp-tc/session-checksum.json', 'setPeerInfo');
  assert.ok(!cppSpi!.commandObjectOmitted && cppSpi!.args.length === 0);

  // AMF3 publish name through the AVM+ switch
  const [pub] = commands('mona-tc/session-publish.json', 'publish');
  assert.equal(pub!.args, ['test']);

  // Mona's _error with level and code swapped
  const [err] = commands('mona-tc/session-publish.json', '_error');
  const e = findStatusInfo(err!);
  assert.is(e?.level, 'error');
  assert.is(e?.code, 'NetConnection.Call.Failed');
  assert.is(e?.levelCodeSwapped, true);

  // librtmfp P2P publisher: onStatus without the null
  const p2p = commands('mona-p2p/p2p-play.json', 'onStatus');
  assert.is(p2p.length, 2);
  assert.ok(p2p.every((c) => c.commandObjectOmitted));
  assert.equal(p2p.map((c) => findStatusInfo(c)?.code), ['NetStream.Play.Reset', 'NetStream.Play.Start']);
  // rtmfp-cpp's PublishNotify carries priority -Infinity (documented as null: JSON cannot say it)
  const notify = commands('cpp-tc/session-checksum.json', 'onStatus').map((c) => findStatusInfo(c)).find((s) => s?.code === 'NetStream.Play.PublishNotify');
  assert.is(notify?.properties.priority, -Infinity);
  // Mona / rtmfp-cpp onStatus with the null
  const monaPlay = commands('mona-tc/session-play.json', 'onStatus');
  assert.ok(monaPlay.length >= 2 && monaPlay.every((c) => !c.commandObjectOmitted && c.commandObject === null));
});

test.run();
