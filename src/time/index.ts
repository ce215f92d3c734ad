// Time: the one Clock every protocol timer, deferral and random source goes through.
export * from './clock.js';
