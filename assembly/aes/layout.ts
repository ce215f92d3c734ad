// Fixed linear-memory layout of the AES module (runtime stub: nothing else allocates).
// Every area is 16-byte aligned; the TS side reads the bases through the exported getters.
//
//   TABLES      512 B   forward S-box (16 x v128), inverse S-box (16 x v128)  (row construction)
//   TOWER       352 B   22 nibble tables of the tower-field construction (tower.ts)
//   KEY_IN       16 B   where the host writes a key before expandKey()
//   CHECK_OUT   512 B   output of towerSboxCheck() (tests)
//   SCHEDULES   SCHEDULE_ENTRIES x 528 B: per key, three 11 x 16 B schedules:
//                 +0   AES-basis round keys (FIPS-197 §5.2), used by the row construction
//                 +176 tower-field encryption keys, +352 tower-field decryption keys
//   DESCRIPTORS DESCRIPTOR_ENTRIES x 16 B  per packet: u32 ptr, u32 len, u32 schedule ptr, u32 0
//   DATA        from here to the end of memory; grown with memory.grow by ensureData()

export const SCHEDULE_ENTRIES: u32 = 1024;
export const SCHEDULE_BYTES: u32 = 528;
export const SCHEDULE_AES: usize = 0;
export const SCHEDULE_ENC: usize = 176;
export const SCHEDULE_DEC: usize = 352;
export const DESCRIPTOR_ENTRIES: u32 = 4096;
export const DESCRIPTOR_BYTES: u32 = 16;

// @ts-ignore: decorator
@inline function align64(x: usize): usize {
  return (x + 63) & ~(<usize>63);
}

export const TABLES: usize = align64(__heap_base);
export const SBOX: usize = TABLES;
export const INV_SBOX: usize = TABLES + 256;
export const TOWER: usize = TABLES + 512;
export const KEY_IN: usize = align64(TOWER + 352);
export const CHECK_OUT: usize = align64(KEY_IN + 16);
export const SCHEDULES: usize = align64(CHECK_OUT + 512);
export const DESCRIPTORS: usize = align64(SCHEDULES + <usize>SCHEDULE_ENTRIES * SCHEDULE_BYTES);
export const DATA: usize = align64(DESCRIPTORS + <usize>DESCRIPTOR_ENTRIES * DESCRIPTOR_BYTES);

/** Grows memory so that DATA .. DATA+bytes is addressable; returns the usable data bytes, or 0 on failure. */
export function ensureDataBytes(bytes: u32): u32 {
  const need: usize = DATA + <usize>bytes;
  const have: usize = <usize>memory.size() << 16;
  if (need > have) {
    const pages = <i32>((need - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  return <u32>((<usize>memory.size() << 16) - DATA);
}
