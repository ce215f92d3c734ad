import type { BenchRow } from '../runner.js';

/**
 * One (server cipher backend, subscriber count) measurement window of the relay benchmark, as
 * written to bench/results/relay.json. The standard fields read: hz = packets the server sent
 * per second of publishing, meanNs = 1e9 / hz, p99Ns = p99 message lateness in ns, samples =
 * messages received (lateness samples).
 */
export interface RelayRow extends BenchRow {
  backend: string;
  /** Subscribers playing during the window (connected ones; see subscribersWanted). */
  subscribers: number;
  subscribersWanted: number;
  subscriberProcesses: number;
  /** Publishing time of the window, s (receivers then get RELAY grace before counting). */
  seconds: number;
  /** Server process CPU (user + system) over the window and grace / datagrams it sent then. */
  serverCpuUsPerPacket: number;
  /** The same CPU / media messages the subscribers received. */
  serverCpuUsPerMessage: number;
  /** Server CPU as a share of one core over the window and grace. */
  serverCpuPercent: number;
  /** The kernel's part of serverCpuUsPerPacket (process.cpuUsage().system): UDP sends and receives. */
  serverSystemUsPerPacket: number;
  /** Server CPU share of one core over one idle second just before the window (sessions open, nothing published). */
  serverIdleCpuPercent: number;
  /** Sum over subscribers of payload bytes received, in Mbit/s of publishing time. */
  deliveredMbps: number;
  /** 1 - received / expected; expected = messages the publisher attempted x subscribers. */
  loss: number;
  /** The same by payload bytes (large video messages are lost more often than small audio ones). */
  byteLoss: number;
  expectedMessages: number;
  receivedMessages: number;
  /** Receive time minus the publisher's send time (same monotonic clock), ms. */
  latenessP50Ms: number;
  latenessP99Ms: number;
  latenessMaxMs: number;
  /** Publisher sendAudio/sendVideo refusals (its flow was full). */
  publisherRefused: number;
  /** Worst lag of the publisher's pacing timer behind schedule, ms. */
  publisherMaxBehindMs: number;
  serverDatagramsOut: number;
  serverDatagramsIn: number;
  relayMessagesOut: number;
  relayDropped: number;
  relayAbandoned: number;
  /** CPU of all subscriber processes as a share of one core. */
  subscriberCpuPercent: number;
}

/** Value at quantile q (0..1) of an ascending array; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

function cell(v: number, digits: number): string {
  return Number.isFinite(v) ? v.toFixed(digits) : '-';
}

/** A markdown table of the rows (what the README shows). */
export function formatRelayTable(rows: readonly RelayRow[]): string {
  const head = [
    'server cipher',
    'N',
    'server µs/packet',
    'of which kernel',
    'server µs/message',
    'server CPU %',
    'idle CPU %',
    'packets/s',
    'delivered Mbit/s',
    'loss % (messages / bytes)',
    'lateness p50 / p99 ms',
    'subscriber CPU %',
  ];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((h, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of rows) {
    const n = r.subscribers === r.subscribersWanted ? String(r.subscribers) : `${r.subscribers} of ${r.subscribersWanted}`;
    lines.push(
      `| ${[
        r.backend,
        n,
        cell(r.serverCpuUsPerPacket, 1),
        cell(r.serverSystemUsPerPacket, 1),
        cell(r.serverCpuUsPerMessage, 1),
        cell(r.serverCpuPercent, 0),
        cell(r.serverIdleCpuPercent, 1),
        cell(r.hz, 0),
        cell(r.deliveredMbps, 1),
        `${cell(r.loss * 100, 2)} / ${cell(r.byteLoss * 100, 2)}`,
        `${cell(r.latenessP50Ms, 1)} / ${cell(r.latenessP99Ms, 1)}`,
        cell(r.subscriberCpuPercent, 0),
      ].join(' | ')} |`,
    );
  }
  return lines.join('\n');
}
