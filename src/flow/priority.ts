// Flow priorities (RFC 7016 section 3.6.2.1 precedence names; rtmfp-cpp Priority.hpp levels;
// wire-reference C.6). Levels above ROUTINE are time critical: their packets set TC (A.4).
import { RtmfpError } from '../errors.js';

export const Priority = {
  Background: 0,
  Bulk: 1,
  Data: 2,
  /** The default (rtmfp-cpp openFlow) and the highest non-time-critical level. */
  Routine: 3,
  Priority: 4,
  Immediate: 5,
  Flash: 6,
  FlashOverride: 7,
} as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

export const PRIORITY_LEVELS = 8;
export const LOWEST_PRIORITY: Priority = Priority.Background;
export const HIGHEST_PRIORITY: Priority = Priority.FlashOverride;

/** Data of flows above ROUTINE is time critical (C.6). */
export function isTimeCritical(p: Priority): boolean {
  return p > Priority.Routine;
}

/** Validates a priority coming from outside (a number 0..7). */
export function toPriority(p: number): Priority {
  if (!Number.isInteger(p) || p < LOWEST_PRIORITY || p > HIGHEST_PRIORITY) {
    throw new RtmfpError('ERR_FLOW_PRIORITY', `priority ${p} is not an integer 0..7`);
  }
  return p as Priority;
}
