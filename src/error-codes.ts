// Every `code` an RtmfpError can carry, in one documented union (docs/errors.md is generated from
// this table by scripts/error-docs.mjs; test/error-codes.test.ts checks that every code used in
// src/ is listed here and in the doc). Codes are stable; messages may change.
export const ERROR_CODES = {
  // transport/ (time and transport layer)
  ERR_TRANSPORT_BIND: 'a socket could not be created or bound (address in use, not available)',
  ERR_TRANSPORT_OPTION: 'a transport option was out of range',
  ERR_TRANSPORT_ADDRESS: 'text that is not an IP address, or a port out of range',
  ERR_RUN_TIMEOUT: 'runUntil / settle drove a virtual clock past maxMs without the condition',
  // wire/ (RFC 7016 section 2 codecs)
  ERR_WIRE_TRUNCATED: 'input ended inside a field',
  ERR_WIRE_MALFORMED: 'a field has a value the format forbids',
  ERR_WIRE_LIMIT: 'a decode limit was reached (documented constant beside the decoder)',
  ERR_WIRE_UNENCODABLE: 'a value cannot be encoded (out of range, too long)',
  // wire/amf/
  ERR_AMF_TRUNCATED: 'AMF input ended inside a value',
  ERR_AMF_MALFORMED: 'AMF bytes that break the format',
  ERR_AMF_UNKNOWN_MARKER: 'an AMF type marker this decoder does not know',
  ERR_AMF_UNSUPPORTED: 'a known AMF type this library does not decode',
  ERR_AMF_BAD_REFERENCE: 'an AMF reference to nothing (or, by default, to a value still being decoded: a cycle)',
  ERR_AMF_EXTERNALIZABLE: 'an AMF3 externalizable object: its body format is private to its class',
  ERR_AMF_LIMIT: 'an AMF decode limit was reached (values, depth, bytes)',
  ERR_AMF_UNENCODABLE: 'a JavaScript value with no AMF form',
  // wire/flash/ (RFC 7425 section 5 messages)
  ERR_FLASH_TRUNCATED: 'a Flash message ended inside a field',
  ERR_FLASH_MALFORMED: 'a Flash message breaks the format',
  ERR_FLASH_RTMP_ONLY: 'an RTMP chunk-stream message type that must not appear on RTMFP',
  ERR_FLASH_UNENCODABLE: 'a Flash message that cannot be encoded',
  // media/ (FLV)
  ERR_FLV_HEADER: 'not an FLV file header',
  ERR_FLV_MALFORMED: 'FLV bytes that break the format',
  ERR_FLV_LIMIT: 'an FLV tag over the size limit',
  ERR_FLV_UNENCODABLE: 'an FLV tag that cannot be written',
  ERR_FLV_CLOSED: 'an FLV reader or writer used after close',
  // crypto/ (RFC 7425 section 4)
  ERR_CRYPTO_BAD_LENGTH: 'a datagram or field of the wrong length',
  ERR_CRYPTO_BAD_HMAC: 'a datagram whose HMAC does not verify',
  ERR_CRYPTO_BAD_CHECKSUM: 'a datagram whose checksum does not verify',
  ERR_CRYPTO_BAD_PLAINTEXT: 'decrypted bytes that are not a valid packet prefix',
  ERR_CRYPTO_BAD_KEY: 'a key of the wrong length',
  ERR_CRYPTO_BAD_HEX: 'text that is not the expected hex (a peer ID is 64 hex digits)',
  ERR_CRYPTO_BAD_CERTIFICATE: 'a certificate that does not decode or verify',
  ERR_CRYPTO_BAD_KEY_COMPONENT: 'a session key component that does not decode',
  ERR_CRYPTO_BAD_PUBLIC_KEY: 'a Diffie-Hellman public key out of range',
  ERR_CRYPTO_NO_COMMON_GROUP: 'no Diffie-Hellman group both ends support',
  ERR_CRYPTO_UNSUPPORTED_GROUP: 'a Diffie-Hellman group this library does not implement',
  ERR_CRYPTO_NEGOTIATION_FAILED: 'key negotiation failed (options the two ends cannot agree on)',
  ERR_CRYPTO_INTERNAL: 'the crypto library refused an operation already validated',
  // engine/ (hot paths)
  ERR_CIPHER_KEY_EMPTY: 'a packet names a key slot with no key set',
  ERR_CIPHER_BACKEND: 'a cipher backend misbehaved',
  ERR_CIPHER_CLOSED: 'a cipher used after close',
  ERR_ENGINE_BACKEND: 'an unknown or unavailable backend was chosen',
  ERR_ENGINE_BATCH: 'a batch that breaks its layout',
  ERR_ENGINE_CLOSED: 'a pool used after close',
  ERR_ENGINE_WORKER: 'a worker failed a task',
  ERR_ENGINE_DH: 'Diffie-Hellman in the pool failed',
  ERR_REASSEMBLY_CONFIG: 'reassembler options out of range',
  ERR_REASSEMBLY_BAD_FLOW: 'a reassembler flow slot that is not open',
  ERR_REASSEMBLY_FLOW_LIMIT: 'every reassembler flow slot is open',
  ERR_REASSEMBLY_BATCH_LIMIT: 'a reassembly batch over its capacity',
  ERR_REASSEMBLY_WASM: 'the WASM reassembler failed',
  ERR_WINDOW_CONFIG: 'fragment window options out of range',
  ERR_WINDOW_BAD_NEIGHBOR: 'a fragment window neighbor slot that is not open',
  ERR_WINDOW_NEIGHBOR_LIMIT: 'every fragment window neighbor slot is open',
  ERR_WINDOW_BATCH_LIMIT: 'a fragment window batch over its capacity',
  // flow/ (RFC 7016 section 3.6)
  ERR_FLOW_ARGUMENT: 'a bad flow argument (metadata too long, negative lifetime, message over the limit)',
  ERR_FLOW_BUFFER_FULL: "a flow's send buffer is full: wait for 'writable'",
  ERR_FLOW_CLOSED: 'a write to a closed flow',
  ERR_FLOW_PRIORITY: 'a priority out of range',
  ERR_RECEIVE_FLOW_CONFIG: 'bad receive-flow options',
  ERR_RECEIVE_FLOW_REENTRANT: 'receive processing re-entered from its own callback',
  ERR_CONGESTION_ARGUMENT: 'a bad congestion-control argument',
  // session/ (RFC 7016 section 3.5)
  ERR_ENDPOINT_CLOSED: 'the endpoint is closed',
  ERR_SESSION_TARGET: 'connect needs a uri, a peer ID or an EPD',
  ERR_SESSION_OPEN_FAILED: 'a session could not be opened (timeout or negotiation)',
  ERR_SESSION_LIMIT: 'the endpoint holds its maximum number of sessions',
  ERR_SESSION_CLOSED: 'the session is closed',
  ERR_PING_TIMEOUT: 'no Ping Reply in time',
  ERR_ABORTED: 'the operation was aborted through its AbortSignal',
  // peer/ (sessions to peers by peer ID)
  ERR_PEER_NO_ROUTE: 'no server to introduce us and no known address for the peer',
  ERR_PEER_TIMEOUT: 'no session with the peer within the open timeout',
  ERR_PEER_CLOSED: 'PeerSessions (or the session with the peer) is closed',
  ERR_PEER_SESSIONS_EXIST: 'a second PeerSessions for an endpoint that has one (use PeerSessions.of)',
  // stream/
  ERR_STREAM_BACKLOG: "a stream's command backlog overflowed",
  // flash/ (RFC 7425 section 5)
  ERR_NETCONNECTION_URI: 'not an rtmfp:// URI',
  ERR_NETCONNECTION_STATE: 'a NetConnection method called in the wrong state',
  ERR_NETCONNECTION_CALL_ERROR: 'a call() answered with _error',
  ERR_NETCONNECTION_CALL_TIMEOUT: 'a call() with no answer in time',
  ERR_NETCONNECTION_CLOSED: 'the NetConnection closed before the answer',
  ERR_NETSTREAM_CLOSED: 'the NetStream is closed',
  // server/
  ERR_SERVER_CLIENT_STATE: 'a server client method called in the wrong state',
  ERR_STREAM_ALREADY_PUBLISHED: 'the stream already has a publisher',
  ERR_FLV_FILE_OPEN: 'an FLV file to publish could not be opened',
  ERR_FLV_PUBLISH_OPTIONS: 'bad FLV file publishing options',
  ERR_FLV_RECORD_OPEN: 'a recording file could not be opened',
  ERR_FLV_RECORD_OPTIONS: 'bad recording options',
  ERR_FLV_RECORD_WRITE: 'writing a recording failed',
  ERR_REPUBLISH_OPTIONS: 'bad republishing options',
  ERR_REPUBLISH_FAILED: 'republishing to another server failed',
  ERR_REPUBLISH_REJECTED: 'the other server rejected the republishing connection',
  ERR_REPUBLISH_BAD_NAME: 'the other server refused the stream name',
  // cli/
  ERR_CLI_USAGE: 'bad command-line flags',
} as const;

/** The union of every error code. */
export type RtmfpErrorCode = keyof typeof ERROR_CODES;
