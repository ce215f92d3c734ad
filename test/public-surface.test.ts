// The root entry is what applications build with; internals stay on named subpaths.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import * as root from '../src/index.js';
import * as engine from '../src/engine/index.js';

test('the root exports the application-level classes', () => {
  for (const name of ['RtmfpServer', 'NetConnection', 'NetStream', 'Endpoint', 'Session', 'RtmfpError', 'ManualClock', 'SystemClock', 'VirtualNetwork', 'UdpTransport', 'selectEngine']) {
    assert.type((root as Record<string, unknown>)[name], 'function', name);
  }
  assert.ok(Object.keys(root.ERROR_CODES).length > 50);
});

test('internals are on subpaths, not the root', () => {
  for (const name of ['ReferenceReassembler', 'WasmReassembler', 'KeyTable', 'PoolPacketCipher', 'FlowScheduler', 'CookieJar']) {
    assert.is((root as Record<string, unknown>)[name], undefined, name);
  }
  assert.type(engine.KeyTable, 'function');
});

test.run();
