// Bit arithmetic on uint64 values held as bigint; every tree index in this package is one.

const MASK32 = 0xffffffffn;

function split(x: bigint): [hi: number, lo: number] {
  return [Number((x >> 32n) & MASK32), Number(x & MASK32)];
}

/** Number of bits needed to represent x (0 for 0). Same as Go's bits.Len64. */
export function bitLength(x: bigint): number {
  if (x > MASK32) {
    if (x >> 64n !== 0n) return x.toString(2).length;
    const [hi] = split(x);
    return 64 - Math.clz32(hi);
  }
  return 32 - Math.clz32(Number(x));
}

/** Number of trailing zero bits of x; 64 for 0. */
export function trailingZeros(x: bigint): number {
  if (x === 0n) return 64;
  const [hi, lo] = split(x);
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  return 32 + 31 - Math.clz32(hi & -hi);
}

function popCount32(v: number): number {
  let n = v - ((v >>> 1) & 0x55555555);
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** Number of one bits of x (x < 2^64). */
export function popCount(x: bigint): number {
  const [hi, lo] = split(x);
  return popCount32(hi) + popCount32(lo);
}
