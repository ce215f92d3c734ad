// The live-stream model shared by the server's relay and direct peer-to-peer publishing: one
// published stream fanned out to players, each player's relay step, and the flows of one stream.
export {
  LiveStream,
  relayedMessage,
  relayedMessageOf,
  type RelayedMessage,
  type StreamPublisher,
  type StreamSubscriber,
} from './live-stream.js';
export { PlayerRelay } from './player-relay.js';
export { createRelayCounters, type RelayCounters } from './relay-counters.js';
export { StreamTransport, type StreamTransportOptions, type StreamTransportCounters, type MediaWriteOptions } from './stream-transport.js';
