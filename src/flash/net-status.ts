import type { AmfObject } from '../wire/amf/types.js';
import { makeStatusInfo, StatusLevel } from '../wire/flash/status.js';

/**
 * NetConnection status codes (wire-reference E.5) that this layer raises or answers with.
 * Success / Rejected / Failed / InvalidApp / Call.Failed travel on the wire; Closed is reported
 * locally when the session ends.
 */
export const NetConnectionCode = {
  ConnectSuccess: 'NetConnection.Connect.Success',
  ConnectFailed: 'NetConnection.Connect.Failed',
  ConnectRejected: 'NetConnection.Connect.Rejected',
  ConnectClosed: 'NetConnection.Connect.Closed',
  ConnectInvalidApp: 'NetConnection.Connect.InvalidApp',
  CallFailed: 'NetConnection.Call.Failed',
} as const;
export type NetConnectionCode = (typeof NetConnectionCode)[keyof typeof NetConnectionCode];

/** The info object of a `netStatus` event: level, code, description, plus any extra members received. */
export interface NetStatusInfo {
  level: string;
  code: string;
  description?: string;
  [extra: string]: unknown;
}

/** A local status (one that did not arrive on the wire). */
export function localStatus(level: string, code: string, description?: string): NetStatusInfo {
  return makeStatusInfo(level, code, description) as NetStatusInfo;
}

/** Converts a received info object into a NetStatusInfo, keeping its extra members. */
export function netStatusFromInfo(level: string, code: string, description: string | undefined, properties: AmfObject): NetStatusInfo {
  return makeStatusInfo(level, code, description, properties) as NetStatusInfo;
}

export { StatusLevel };

/** NetStream status codes (wire-reference E.5) raised by this engine or its servers. */
export const NetStreamCode = {
  PublishStart: 'NetStream.Publish.Start',
  PublishBadName: 'NetStream.Publish.BadName',
  UnpublishSuccess: 'NetStream.Unpublish.Success',
  PlayReset: 'NetStream.Play.Reset',
  PlayStart: 'NetStream.Play.Start',
  PlayStop: 'NetStream.Play.Stop',
  PlayFailed: 'NetStream.Play.Failed',
  PlayStreamNotFound: 'NetStream.Play.StreamNotFound',
  PlayPublishNotify: 'NetStream.Play.PublishNotify',
  PlayUnpublishNotify: 'NetStream.Play.UnpublishNotify',
  PauseNotify: 'NetStream.Pause.Notify',
  UnpauseNotify: 'NetStream.Unpause.Notify',
  RecordStart: 'NetStream.Record.Start',
  RecordStop: 'NetStream.Record.Stop',
  RecordFailed: 'NetStream.Record.Failed',
  RecordNoAccess: 'NetStream.Record.NoAccess',
  /** Local: the NetStream could not be created (createStream failed, connection closed). */
  ConnectFailed: 'NetStream.Connect.Failed',
  /** Local: a direct (P2P) stream's session opened / closed. */
  ConnectSuccess: 'NetStream.Connect.Success',
  ConnectClosed: 'NetStream.Connect.Closed',
} as const;
export type NetStreamCode = (typeof NetStreamCode)[keyof typeof NetStreamCode];
