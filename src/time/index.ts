// Time: the one Clock every protocol timer, deferral and random source goes through.
export * from './clock.js';
export * from './event-heap.js';
export * from './seeded-random.js';
export * from './run-until.js';
export { KeepAliveClock } from './keep-alive-clock.js';
