import { RtmfpError } from '../errors.js';
import type { AmfValue } from '../wire/amf/types.js';
import type { NetStatusInfo } from './net-status.js';

/** Why a NetConnection.call() promise rejected. */
export const NetCallErrorCode = {
  /** The far end answered `_error` (info has its level/code, e.g. NetConnection.Call.Failed). */
  Error: 'ERR_NETCONNECTION_CALL_ERROR',
  /** The connection closed (or was never connected) before the answer came. */
  Closed: 'ERR_NETCONNECTION_CLOSED',
  /** No answer within the call timeout. */
  Timeout: 'ERR_NETCONNECTION_CALL_TIMEOUT',
} as const;
export type NetCallErrorCode = (typeof NetCallErrorCode)[keyof typeof NetCallErrorCode];

export class NetCallError extends RtmfpError {
  /** The `_error` info object, when the far end sent one. */
  readonly info: NetStatusInfo | undefined;
  /** Every argument of the `_error` reply after the command object. */
  readonly args: readonly AmfValue[];
  constructor(code: NetCallErrorCode, message: string, info?: NetStatusInfo, args: readonly AmfValue[] = []) {
    super(code, message);
    this.info = info;
    this.args = args;
  }
}
