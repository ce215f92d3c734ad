// Flows (RFC 7016 section 3.6): the sending side, its session-wide scheduler and priorities.
export * from './priority.js';
export * from './send-buffer.js';
export * from './send-flow.js';
export * from './flow-scheduler.js';

// Timestamps, RTT (3.5.2) and congestion control (3.5.2, 3.6.2.6) that the scheduler runs on.
export * from './rtt.js';
export * from './congestion.js';

// The receiving side (RFC 7016 section 3.6.3) and its ack rules.
export * from './ack-policy.js';
export * from './receive-flow.js';
export * from './receive-flows.js';
