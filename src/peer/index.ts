// Sessions to peers by peer ID, shared by the subsystems that talk to peers (direct streams,
// groups), and the router of their incoming flows by metadata.
export * from './errors.js';
export * from './flow-handler.js';
export * from './flow-router.js';
export * from './peer-session.js';
export * from './peer-sessions.js';
