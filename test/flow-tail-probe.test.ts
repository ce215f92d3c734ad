// The tail loss probe (RFC 8985 section 7) against a receiver that delays its acks (RFC 7016
// 3.6.3.4.1): a lone packet in flight may legitimately go unacked for the delayed-ack time, so
// probing it after two RTTs resends data the receiver already has. Measured on the relay: 10 % of
// the server's datagrams to its players were such probes.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { FlowScheduler } from '../src/flow/flow-scheduler.js';
import { SendFlow } from '../src/flow/send-flow.js';
import { ManualClock } from '../src/time/clock.js';
import { CongestionController } from '../src/flow/congestion.js';
import { RttEstimator } from '../src/flow/rtt.js';
import { ACK_DELAY_MS } from '../src/flow/ack-policy.js';
import { ackRanges, newBuilder, TC_METADATA } from './flow-send-support.js';

function rig() {
  const clock = new ManualClock(0);
  const rtt = new RttEstimator();
  rtt.addSample(1, 0); // loopback: 2 x SRTT is far below the 10 ms floor
  const scheduler = new FlowScheduler({ congestion: new CongestionController({ rtt }), rtt });
  const flow = new SendFlow({ flowId: 2, metadata: TC_METADATA, clock, mss: 1161 });
  scheduler.addFlow(flow);
  const fill = (now: number): number => scheduler.fillPacket(newBuilder(1200), now).fragments;
  return { scheduler, flow, fill };
}

test('one packet in flight: no probe before the receiver\'s delayed ack could have come', () => {
  const { scheduler, flow, fill } = rig();
  flow.write(new Uint8Array(100));
  assert.is(fill(0), 1);
  scheduler.onTimeout(15);
  scheduler.onTimeout(ACK_DELAY_MS);
  assert.is(scheduler.tailProbes, 0);
  assert.is(scheduler.outstanding.count, 1);
  // Past the delayed-ack allowance the probe still comes, ahead of ERTO.
  assert.ok(scheduler.nextTimeout() <= 10 + ACK_DELAY_MS);
  scheduler.onTimeout(10 + ACK_DELAY_MS);
  assert.is(scheduler.tailProbes, 1);
});

test('two packets in flight: the receiver acks at once, so the probe keeps its two-RTT deadline', () => {
  const { scheduler, flow, fill } = rig();
  flow.write(new Uint8Array(1000));
  flow.write(new Uint8Array(1000));
  assert.is(fill(0), 1);
  assert.is(fill(0), 1);
  scheduler.onTimeout(15);
  assert.is(scheduler.tailProbes, 1);
});

test('after an ack leaves one packet in flight, its probe waits out the delayed ack again', () => {
  const { scheduler, flow, fill } = rig();
  for (let i = 0; i < 3; i++) flow.write(new Uint8Array(1000));
  for (let i = 0; i < 3; i++) assert.is(fill(0), 1);
  scheduler.onAck(ackRanges(2, 2, []), 2);
  scheduler.onPacketProcessed(2);
  scheduler.onTimeout(20);
  assert.is(scheduler.tailProbes, 0);
  assert.is(scheduler.outstanding.count, 1);
});

test.run();
