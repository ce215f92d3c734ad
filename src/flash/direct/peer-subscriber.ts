// One peer playing one of our direct publications (RFC 7425 5.4, wire-reference E.8): the peer
// opened a flow with TC metadata stream S (no association) and sent `play name` on it; we answer
// on our own flows for stream S, all associated with that flow (E.8 step 4): commands, status and
// data on one, audio and video on two more (StreamTransport). Media buffers are shared with every
// other subscriber of the publication, as the server relay shares them.
import { toHex } from '../../crypto/hex.js';
import type { Session } from '../../session/session.js';
import type { AmfValue } from '../../wire/amf/types.js';
import type { FlashCommand } from '../../wire/flash/command.js';
import { encodeCommandMessage, encodeDataMessage, encodeUserControlMessage } from '../../wire/flash/message.js';
import { makeStatusInfo, StatusLevel } from '../../wire/flash/status.js';
import { formatIp } from '../../wire/address.js';
import type { LiveStream, RelayedMessage, StreamSubscriber } from '../../stream/live-stream.js';
import type { RelayCounters } from '../../stream/relay-counters.js';
import { NetStreamCode } from '../net-status.js';
import { StreamTransport } from '../../stream/stream-transport.js';
import { PlayerRelay } from '../../stream/player-relay.js';

/** What a subscriber needs from the publication it plays. */
export interface PeerSubscriberContext {
  /** The publisher's counters (this process's direct relay, not a server's). */
  readonly relayCounters: RelayCounters;
  /** Lifetime of audio/video messages (the publishing NetStream's mediaLifetimeMs). */
  readonly mediaLifetimeMs: number;
  /** The subscriber left (closeStream, its flow or session ended, unpublish). */
  subscriberClosed(subscriber: PeerSubscriber): void;
}

/**
 * A subscriber as the publishing side sees it; the entries of `NetStream.peerStreams` and the
 * argument of `client.onPeerConnect` (ActionScript passes the subscriber's NetStream there).
 */
export class PeerSubscriber implements StreamSubscriber {
  /** The subscriber's peer ID (hex). */
  readonly farID: string;
  /** Session nonces (hex, RFC 7425 4.6.5): ActionScript's NetStream.farNonce / nearNonce. */
  readonly farNonce: string;
  readonly nearNonce: string;
  /** Where the subscriber's packets come from ("ip:port"). */
  readonly farAddress: string;
  /** The stream ID the subscriber chose (its TC metadata). */
  readonly streamId: number;
  /** The name it plays. */
  readonly name: string;
  readonly session: Session;
  /** The subscriber's play flow, which every flow of ours answers. */
  readonly requestFlowId: number;
  readonly transport: StreamTransport;
  closed = false;
  private readonly ctx: PeerSubscriberContext;
  /** The relay's per-player step, as on the server. */
  private readonly player: PlayerRelay;
  private stream: LiveStream | undefined;

  constructor(session: Session, requestFlowId: number, streamId: number, name: string, ctx: PeerSubscriberContext) {
    this.session = session;
    this.requestFlowId = requestFlowId;
    this.streamId = streamId;
    this.name = name;
    this.ctx = ctx;
    this.farID = toHex(session.farPeerId);
    const nonces = session.nonces;
    this.farNonce = toHex(nonces.far);
    this.nearNonce = toHex(nonces.near);
    this.farAddress = `${formatIp(session.farAddress)}:${session.farAddress.port}`;
    this.transport = new StreamTransport({
      session,
      streamId,
      association: requestFlowId,
      onMediaAbandoned: (type) => this.player.mediaAbandoned(type),
    });
    this.player = new PlayerRelay(this.transport, ctx.relayCounters, ctx.mediaLifetimeMs);
  }

  /** Accepted: StreamBegin, Play.Reset, Play.Start, |RtmpSampleAccess (E.4, E.8 step 4), then the stream from its cached state. */
  start(stream: LiveStream): void {
    this.transport.writeControl(encodeUserControlMessage({ kind: 'StreamBegin', streamId: this.streamId }));
    this.status(StatusLevel.Status, NetStreamCode.PlayReset, `Playing and resetting ${this.name}.`);
    this.status(StatusLevel.Status, NetStreamCode.PlayStart, `Started playing ${this.name}.`);
    this.transport.writeControl(encodeDataMessage({ handler: '|RtmpSampleAccess', args: [true, true] }));
    this.stream = stream;
    stream.subscribe(this);
  }

  /** Refused (unknown name, onPeerConnect said no): one error status, then our flows end. */
  refuse(code: string, description: string): void {
    this.status(StatusLevel.Error, code, description);
    this.close();
  }

  /** A command on the subscriber's play flow after `play`. */
  onCommand(c: FlashCommand): void {
    if (this.closed) return;
    const first = c.args[0];
    switch (c.name) {
      case 'closeStream':
        this.close();
        return;
      default: {
        const change = this.player.applyPlayCommand(c.name, first);
        if (change === 'pause') this.status(StatusLevel.Status, NetStreamCode.PauseNotify, 'Paused.');
        if (change === 'unpause') this.status(StatusLevel.Status, NetStreamCode.UnpauseNotify, 'Unpaused.');
        return;
      }
    }
  }

  /** Leaves the publication and ends our flows (FIN after what is queued). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream?.unsubscribe(this);
    this.stream = undefined;
    this.transport.close();
    this.ctx.subscriberClosed(this);
  }

  // ---- StreamSubscriber ----

  onPublish(stream: LiveStream): void {
    this.player.needKeyframe = true;
    stream.catchUp(this);
  }

  onUnpublish(stream: LiveStream): void {
    this.status(StatusLevel.Status, NetStreamCode.PlayUnpublishNotify, `${stream.name} is now unpublished.`);
    this.close();
  }

  /** Same per-subscriber step as the server relay (PlayerRelay). */
  deliver(m: RelayedMessage): void {
    if (!this.closed) this.player.deliver(m);
  }

  private status(level: string, code: string, description: string): void {
    if (this.closed) return;
    const extra: Record<string, AmfValue> = { details: this.name };
    this.transport.writeControl(
      encodeCommandMessage({ name: 'onStatus', transactionId: 0, commandObject: null, args: [makeStatusInfo(level, code, description, extra)] }),
    );
  }
}
