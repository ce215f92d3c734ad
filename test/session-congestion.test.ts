import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { CongestionController, DEFAULT_MSS, EndpointTimeCritical } from '../src/flow/congestion.js';
import { RttEstimator } from '../src/flow/rtt.js';

const MSS = DEFAULT_MSS; // 1161
const cc = suite('CongestionController');

cc('initial window 3*MSS, ssthresh unbounded', () => {
  const c = new CongestionController();
  assert.is(c.cwnd, 3483);
  assert.is(c.ssthresh, Infinity);
  assert.ok(c.canSend(3482));
  assert.not.ok(c.canSend(3483));
});

cc('slow start doubles cwnd per round trip when the window is kept full', () => {
  const c = new CongestionController();
  let inFlight = c.cwnd;
  let now = 0;
  const perRound: number[] = [c.cwnd];
  for (let round = 0; round < 4; round++) {
    const segments = Math.round(c.cwnd / MSS);
    for (let i = 0; i < segments; i++) {
      const pre = inFlight;
      inFlight -= MSS;
      c.onAck(MSS, (now += 1), pre, inFlight);
      inFlight = c.cwnd; // the sender refills the window (ack clocking)
    }
    perRound.push(c.cwnd);
  }
  assert.equal(perRound, [3483, 6966, 13932, 27864, 55728]);
});

cc('growth needs a (nearly) full window and is capped at one MSS per ack', () => {
  const c = new CongestionController();
  c.onAck(2 * MSS, 1, 3483, 3483 - 2 * MSS);
  assert.is(c.cwnd, 3483 + MSS); // not + 2322
  const d = new CongestionController();
  d.onAck(MSS, 1, 3428, 3428 - MSS); // 3428 = floor(3483*63/64): not above it
  assert.is(d.cwnd, 3483);
});

cc('loss halves what was outstanding and holds for one recovery window', () => {
  const c = new CongestionController();
  c.cwnd = 27864;
  c.onLoss(MSS, 10_000, 27864, 20000);
  assert.is(c.cwnd, 13932);
  assert.is(c.ssthresh, 13932);
  assert.is(c.losses, 1);
  assert.is(c.recoveryRemaining, 20000);
  // another loss inside the recovery window: within the allowance, no second cut
  c.onLoss(MSS, 10_010, 20000, 17678, MSS);
  assert.is(c.cwnd, 13932);
  assert.is(c.losses, 1);
  assert.is(c.recoveryRemaining, 20000 - 2 * MSS);
  // acks drain the recovery window; growth resumes only after it
  c.onAck(17678, 10_020, 17678, 0);
  assert.is(c.recoveryRemaining, 0);
});

cc('loss cut uses min(cwnd, outstanding)', () => {
  const c = new CongestionController();
  c.cwnd = 40000;
  c.onLoss(MSS, 10_000, 10000, 8000);
  assert.is(c.cwnd, 5000);
  const d = new CongestionController();
  d.cwnd = 4000;
  d.onLoss(MSS, 10_000, 4000, 2000);
  assert.is(d.cwnd, 3483); // floor at the initial window
});

cc('time-critical data sent in the last 800 ms: cut by 1/8 only', () => {
  const c = new CongestionController();
  c.cwnd = 27864;
  c.onDataSent(MSS, 1000, true);
  c.onLoss(MSS, 1800, 27864, 20000);
  assert.is(c.cwnd, 27864 - 3483);
  const d = new CongestionController();
  d.cwnd = 27864;
  d.onDataSent(MSS, 1000, true);
  d.onLoss(MSS, 1801, 27864, 20000); // 801 ms later: back to halving
  assert.is(d.cwnd, 13932);
});

cc('large window with fast growth allowed: cut by 1/8', () => {
  const c = new CongestionController();
  c.cwnd = 80000;
  c.onLoss(MSS, 10_000, 80000, 70000);
  assert.is(c.cwnd, 70000);
  const d = new CongestionController();
  d.cwnd = 67200;
  d.onLoss(MSS, 10_000, 67200, 60000); // not above 67200
  assert.is(d.cwnd, 33600);
});

cc('congestion avoidance: +96 per max(cwnd/16, 64) acked bytes', () => {
  const c = new CongestionController();
  c.cwnd = 16000;
  c.ssthresh = 10000;
  c.onAck(1000, 10_000, 16000, 15000); // step 1000 -> one increment
  assert.is(c.cwnd, 16096);
  c.onAck(500, 10_001, 16096, 15596); // step 1006: accumulates 500
  assert.is(c.cwnd, 16096);
  c.onAck(600, 10_002, 16096, 15496); // 1100 >= 1006
  assert.is(c.cwnd, 16192);
});

cc('TCR received: no slow start, +24 per step', () => {
  const c = new CongestionController();
  c.onTimeCriticalReverse(1000);
  c.onAck(MSS, 1500, 3483, 3483 - MSS); // step max(217, 64) = 217: 5 steps
  assert.is(c.cwnd, 3483 + 5 * 24);
  assert.not.ok(c.fastGrowthAllowed(1500));
  assert.ok(c.fastGrowthAllowed(1801));
});

cc('TC sent: quarter-speed slow start; TC elsewhere on the endpoint suppresses fast growth', () => {
  const ep = new EndpointTimeCritical();
  const c = new CongestionController({ endpoint: ep });
  const other = new CongestionController({ endpoint: ep });
  c.onDataSent(MSS, 1000, true);
  c.onAck(MSS, 1100, 3483, 3483 - MSS);
  assert.is(c.cwnd, 3483 + Math.floor((MSS + 3) / 4));
  // the other session sent no TC, but the endpoint did: avoidance at +24
  other.onAck(MSS, 1100, 3483, 3483 - MSS);
  assert.is(other.cwnd, 3483 + 5 * 24);
});

cc('retransmission timeout: ssthresh = max(ssthresh, 3/4 cwnd), cwnd = 2*MSS', () => {
  const c = new CongestionController();
  c.cwnd = 20000;
  c.ssthresh = 10000;
  c.onTimeout(5000, true);
  assert.is(c.ssthresh, 15000);
  assert.is(c.cwnd, 2322);
  assert.is(c.timeouts, 1);
  // ERTO with nothing outstanding (idle): restart at the initial window, not a timeout
  c.cwnd = 9000;
  c.onTimeout(9000, false);
  assert.is(c.cwnd, 3483);
  assert.is(c.timeouts, 1);
});

cc('idle decay: 1 byte per ack while more than 6*MSS of cwnd is unused', () => {
  const c = new CongestionController();
  c.cwnd = 20000;
  c.onAck(500, 1, 1000, 500);
  assert.is(c.cwnd, 19999);
  c.onAck(500, 2, 19999 - 6 * MSS - 1, 500); // cwnd 19999 > 13032 + 6966 = 19998: decays
  assert.is(c.cwnd, 19998);
  c.onAck(500, 3, 19998 - 6 * MSS, 500); // not more than the margin: no decay
  assert.is(c.cwnd, 19998);
  c.onAck(0, 4, 1000, 1000, true); // nacks: no decay either
  assert.is(c.cwnd, 19998);
});

cc('burst limit: 6 packets per round when SRTT >= 4.5 ms, then paced', () => {
  const rtt = new RttEstimator();
  rtt.addSample(100, 0);
  const c = new CongestionController({ rtt });
  c.cwnd = 100_000;
  let now = 1000;
  for (let i = 0; i < 6; i++) {
    assert.ok(c.canSendData(i * MSS, now), `packet ${i}`);
    c.onDataSent(MSS, now, false);
  }
  assert.not.ok(c.canSendData(6 * MSS, now));
  assert.is(c.nextTimeout(), now + (100 * MSS) / 100_000);
  c.onTimer(now + 1); // not due yet
  assert.not.ok(c.canSendData(6 * MSS, now + 1));
  now = c.nextTimeout();
  assert.ok(c.canSendData(6 * MSS, now)); // refilled with one MSS
  assert.is(c.burstBudget, MSS);
  c.onDataSent(MSS + 500, now, false); // overspend by 500
  assert.not.ok(c.canSendData(7 * MSS, now));
  const due = now + (100 * (MSS + 500)) / 100_000;
  assert.is(c.nextTimeout(), due);
  c.onTimer(due + 10); // overslept 10 ms of a 100 ms RTT: one tenth of cwnd extra
  assert.is(c.burstBudget, MSS + 10_000);
  // an ack ends the round: full budget again
  c.onDataSent(20_000, due + 10, false);
  c.onAck(MSS, due + 20, 8 * MSS, 7 * MSS);
  assert.is(c.burstBudget, 6 * MSS);
  assert.is(c.nextTimeout(), Infinity);
});

cc('no burst limit while SRTT < 4.5 ms or unknown', () => {
  const c = new CongestionController({ rtt: new RttEstimator() });
  c.cwnd = 100_000;
  for (let i = 0; i < 20; i++) c.onDataSent(MSS, 0, false);
  assert.ok(c.canSendData(0, 0));
  const rtt = new RttEstimator();
  rtt.addSample(4, 0);
  const d = new CongestionController({ rtt });
  d.cwnd = 100_000;
  for (let i = 0; i < 20; i++) d.onDataSent(MSS, 0, false);
  assert.ok(d.canSendData(0, 0));
});

const ep = suite('EndpointTimeCritical');

ep('TCR goes on the other sessions for 800 ms after TC arrives', () => {
  const e = new EndpointTimeCritical();
  const a = {};
  const b = {};
  assert.not.ok(e.shouldReportTcr(a, 0));
  e.onReceived(a, 1000);
  assert.not.ok(e.shouldReportTcr(a, 1000)); // not on the session that got it
  assert.ok(e.shouldReportTcr(b, 1799));
  assert.not.ok(e.shouldReportTcr(b, 1800));
  e.onReceived(b, 1500); // now b reports TC; a still saw TC at 1000 before
  assert.ok(e.shouldReportTcr(a, 1600));
  assert.ok(e.shouldReportTcr(b, 1600)); // a's TC at 1000 is within 800 ms
  assert.not.ok(e.shouldReportTcr(b, 1800));
});

cc.run();
ep.run();
