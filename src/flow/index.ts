// Flows (RFC 7016 section 3.6): the sending side, its session-wide scheduler and priorities.
export * from './priority.js';
export * from './send-buffer.js';
export * from './send-flow.js';
export * from './flow-scheduler.js';

// --- receive side: the receive-flow helper's exports go below (coordinator adds them) ---
