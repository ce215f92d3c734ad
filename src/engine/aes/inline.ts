import type { PacketBatch, PacketCipher, PacketCipherSync } from '../packet-batch.js';
import { PacketCipherError } from './errors.js';

/**
 * Runs any synchronous backend on the calling thread behind the PacketCipher interface: the
 * work is done inside encrypt()/decrypt() and the returned promise is already settled (rejected
 * if the backend threw).
 */
export class InlinePacketCipher implements PacketCipher {
  readonly placement = 'inline' as const;
  readonly name: string;
  private closed = false;

  constructor(private readonly backend: PacketCipherSync) {
    this.name = `inline:${backend.name}`;
  }

  encrypt(batch: PacketBatch): Promise<void> {
    try {
      this.open();
      this.backend.encryptSync(batch);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  decrypt(batch: PacketBatch): Promise<void> {
    try {
      this.open();
      this.backend.decryptSync(batch);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e);
    }
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private open(): void {
    if (this.closed) throw new PacketCipherError('ERR_CIPHER_CLOSED', `${this.name} is closed`);
  }
}
