// Who may connect to which application, publish and record: the server's access rules. With no
// rules the server is open (any application, anyone publishes; recording wherever a record
// directory is set): a decision the operator is told about at start-up (see the CLI).
//
// The token travels as the first connect argument, the value after the command object:
// `nc.connect("rtmfp://host/app", token)` in ActionScript and in this package's NetConnection.
import { createHash, timingSafeEqual } from 'node:crypto';
import { RtmfpError } from '../errors.js';
import type { AmfValue } from '../wire/amf/types.js';

/** Rules of one application. */
export interface ApplicationRules {
  /** Required as the first connect argument; overrides the server-wide token. */
  token?: string;
  /** May its clients publish? Default true. */
  publish?: boolean;
  /** May its clients publish with type "record" / "append" (needs a record directory)? Default true. */
  record?: boolean;
}

export interface ServerAccessRules {
  /** Required as the first connect argument for every application without a token of its own. */
  token?: string;
  /** Served applications and their rules; when present, no other name is served. */
  applications?: Record<string, ApplicationRules>;
}

export class AccessConfigError extends RtmfpError {
  constructor(message: string) {
    super('ERR_ACCESS_CONFIG', message);
  }
}

/** Longest token accepted in rules (a connect argument is bounded by the AMF limits anyway). */
export const MAX_TOKEN_LENGTH = 1024;

/**
 * Checks rules from an untrusted source (a JSON config file): returns them typed, or throws
 * AccessConfigError naming the first bad member.
 */
export function validateAccessRules(value: unknown, where = 'config'): ServerAccessRules {
  if (!isRecord(value)) throw new AccessConfigError(`${where}: expected an object`);
  for (const key of Object.keys(value)) {
    if (key !== 'token' && key !== 'applications') throw new AccessConfigError(`${where}: unknown member "${key}" (expected token, applications)`);
  }
  const out: ServerAccessRules = {};
  if (value.token !== undefined) out.token = validToken(value.token, `${where}.token`);
  if (value.applications !== undefined) {
    const apps = value.applications;
    if (!isRecord(apps)) throw new AccessConfigError(`${where}.applications: expected an object of application name -> rules`);
    out.applications = {};
    for (const [name, rules] of Object.entries(apps)) {
      const at = `${where}.applications[${JSON.stringify(name)}]`;
      if (name === '' || name.includes('/')) throw new AccessConfigError(`${at}: an application name is non-empty and has no '/'`);
      if (!isRecord(rules)) throw new AccessConfigError(`${at}: expected an object (token, publish, record)`);
      const r: ApplicationRules = {};
      for (const [k, v] of Object.entries(rules)) {
        if (k === 'token') r.token = validToken(v, `${at}.token`);
        else if (k === 'publish' || k === 'record') {
          if (typeof v !== 'boolean') throw new AccessConfigError(`${at}.${k}: expected true or false`);
          r[k] = v;
        } else throw new AccessConfigError(`${at}: unknown member "${k}" (expected token, publish, record)`);
      }
      out.applications[name] = r;
    }
  }
  return out;
}

function validToken(v: unknown, at: string): string {
  if (typeof v !== 'string' || v.length === 0 || v.length > MAX_TOKEN_LENGTH) {
    throw new AccessConfigError(`${at}: expected a non-empty string of at most ${MAX_TOKEN_LENGTH} characters`);
  }
  return v;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The token an application requires, if any. */
export function requiredToken(rules: ServerAccessRules | undefined, app: string): string | undefined {
  return rules?.applications?.[app]?.token ?? rules?.token;
}

/** Whether `args` (connect arguments after the command object) carry `token` first. Constant time in the token. */
export function tokenMatches(token: string, args: readonly AmfValue[]): boolean {
  const given = args[0];
  if (typeof given !== 'string') return false;
  // Digests have equal lengths, so the comparison takes the same time whatever was sent.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(token).digest();
  return timingSafeEqual(a, b);
}

/** Whether a client of `app` may publish with `type` ("live", "record", "append"). */
export function mayPublishUnder(rules: ServerAccessRules | undefined, app: string, type: string): boolean {
  const r = rules?.applications?.[app];
  if (r?.publish === false) return false;
  if ((type === 'record' || type === 'append') && r?.record === false) return false;
  return true;
}
