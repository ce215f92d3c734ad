// A per-session bound on the CPU the server spends decoding AMF (issue 9 item 7). The decoder's
// own limits bound one message (DEFAULT_AMF_LIMITS.maxValues values); this bounds the rate: a
// token bucket of decoded values per second. Decoding costs about 125 ns per value whatever the
// value (measured in bench/amf-budget.ts), so values are the unit of work; bytes are not charged,
// as they are already bounded by the session's flow control and cost far less per byte.
import { RtmfpError } from '../errors.js';
import type { FlashMessage, FlashMessageDecoder } from '../wire/flash/message.js';
import { FLASH_MESSAGE_HEADER_LENGTH, FlashMessageType } from '../wire/flash/message.js';

/**
 * Values refilled per second: 131,072 values, about 16 ms of CPU per second per session, two
 * maximum-size messages per second. Commands and metadata are tens of values each.
 */
export const DEFAULT_DECODE_VALUES_PER_SECOND = 1 << 17;
/** Bucket size: a burst of four maximum-size messages (DEFAULT_AMF_LIMITS.maxValues each). */
export const DEFAULT_DECODE_BURST_VALUES = 1 << 18;
/**
 * Messages refused within one refusal window before the session is closed: a client that keeps
 * sending over its budget is not a client that had one burst too many.
 */
export const DEFAULT_DECODE_MAX_REFUSALS = 32;
export const DEFAULT_DECODE_REFUSAL_WINDOW_MS = 10_000;

export const DecodeBudgetErrorCode = {
  /** An AMF message arrived while the session's decoding budget was spent: refused undecoded. */
  OverBudget: 'ERR_DECODE_BUDGET',
} as const;

export class DecodeBudgetError extends RtmfpError {
  constructor(message: string) {
    super(DecodeBudgetErrorCode.OverBudget, message);
  }
}

export interface DecodeBudgetOptions {
  valuesPerSecond?: number;
  burstValues?: number;
  maxRefusals?: number;
  refusalWindowMs?: number;
  /** Called once when `maxRefusals` messages were refused within one window: the caller closes the session. */
  onExhausted?: (refused: number) => void;
}

/** Message types whose payload is AMF (commands and data, AMF0 and AMF3 forms). */
function carriesAmf(type: number | undefined): boolean {
  return (
    type === FlashMessageType.CommandAmf0 ||
    type === FlashMessageType.CommandAmf3 ||
    type === FlashMessageType.DataAmf0 ||
    type === FlashMessageType.DataAmf3
  );
}

export class DecodeBudget {
  /** AMF messages refused because the budget was spent. */
  refused = 0;
  /** Values charged in total. */
  charged = 0;
  private tokens: number;
  private last: number;
  private windowStart = -Infinity;
  private windowRefusals = 0;
  private exhausted = false;
  private readonly refusalWindowMs: number;
  private readonly rate: number;
  private readonly burst: number;
  private readonly maxRefusals: number;
  private readonly now: () => number;
  private readonly onExhausted: ((refused: number) => void) | undefined;

  constructor(now: () => number, options: DecodeBudgetOptions = {}) {
    this.now = now;
    this.rate = options.valuesPerSecond ?? DEFAULT_DECODE_VALUES_PER_SECOND;
    this.burst = options.burstValues ?? DEFAULT_DECODE_BURST_VALUES;
    this.maxRefusals = options.maxRefusals ?? DEFAULT_DECODE_MAX_REFUSALS;
    this.refusalWindowMs = options.refusalWindowMs ?? DEFAULT_DECODE_REFUSAL_WINDOW_MS;
    this.onExhausted = options.onExhausted;
    this.tokens = this.burst;
    this.last = now();
  }

  /** Tokens left now (negative: in debt from the last message). */
  get available(): number {
    this.refill();
    return this.tokens;
  }

  /**
   * Decodes `message` with `decoder`, charging the values it read (also when it fails). An AMF
   * message that arrives with the bucket empty is refused undecoded with DecodeBudgetError;
   * audio, video and other types are never refused. A message may overdraw the bucket (one
   * message is bounded by the decoder's maxValues); the debt delays the next one.
   */
  decode(decoder: FlashMessageDecoder, message: Uint8Array): FlashMessage {
    // (Too short for a header: the frame decoder refuses it before any AMF is read.)
    if (!carriesAmf(message[0]) || message.length < FLASH_MESSAGE_HEADER_LENGTH) return decoder.decode(message);
    this.refill();
    if (this.tokens <= 0) {
      this.refused++;
      const now = this.last;
      if (now - this.windowStart >= this.refusalWindowMs) {
        this.windowStart = now;
        this.windowRefusals = 0;
      }
      if (++this.windowRefusals >= this.maxRefusals && !this.exhausted) {
        this.exhausted = true;
        this.onExhausted?.(this.refused);
      }
      throw new DecodeBudgetError(`AMF decoding budget spent (${this.rate} values/s): message refused`);
    }
    try {
      return decoder.decode(message);
    } finally {
      const v = decoder.amf.lastValueCount;
      this.tokens -= v;
      this.charged += v;
    }
  }

  private refill(): void {
    const t = this.now();
    const dt = t - this.last;
    this.last = t;
    if (dt > 0) this.tokens = Math.min(this.burst, this.tokens + (dt * this.rate) / 1000);
  }
}
