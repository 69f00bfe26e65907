// Philox4x32-10, the counter-based generator of Salmon et al. (2011) that cuRAND also uses.
// A draw is a pure function of (seed, counter), so every backend can produce the same numbers for
// the same seed without sharing state: element i of a draw at `offset` comes from block
// offset + floor(i / 4), word i % 4.

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** High 32 bits of the 64-bit product of two uint32 values. */
function mulhi(a: number, b: number): number {
  const aLo = a & 0xffff, aHi = a >>> 16;
  const bLo = b & 0xffff, bHi = b >>> 16;
  const lolo = aLo * bLo;
  const mid1 = aHi * bLo;
  const mid2 = aLo * bHi;
  const carry = ((lolo >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff)) >>> 16;
  return (aHi * bHi + (mid1 >>> 16) + (mid2 >>> 16) + carry) >>> 0;
}

/** One Philox4x32-10 block: four uint32 words into `out`. */
export function philoxBlock(c0: number, c1: number, c2: number, c3: number, k0: number, k1: number, out: Uint32Array): void {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(M0, c0), lo0 = Math.imul(M0, c0) >>> 0;
    const hi1 = mulhi(M1, c2), lo1 = Math.imul(M1, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

const TWO_NEG_24 = 1 / 16777216;

/** Fill `out` with U[0,1) (24-bit, exactly representable in float32) or N(0,1) by Box–Muller. */
export function philoxFill(out: Float32Array | Float64Array, dist: "uniform" | "normal", seed: bigint, offset: bigint): void {
  const k0 = Number(seed & 0xffffffffn), k1 = Number((seed >> 32n) & 0xffffffffn);
  const words = new Uint32Array(4);
  const n = out.length;
  // The 64-bit block counter as two uint32 halves: BigInt arithmetic per block costs more than the block.
  let lo = Number(offset & 0xffffffffn), hi = Number((offset >> 32n) & 0xffffffffn);
  for (let i = 0; i < n; i += 4) {
    philoxBlock(lo, hi, 0, 0, k0, k1, words);
    lo = (lo + 1) >>> 0;
    if (lo === 0) hi = (hi + 1) >>> 0;
    const m = Math.min(4, n - i);
    if (dist === "uniform") {
      for (let j = 0; j < m; j++) out[i + j] = (words[j] >>> 8) * TWO_NEG_24;
    } else {
      for (let p = 0; p < m; p += 2) {
        // u1 in (0, 1] so the log is finite; u2 in [0, 1).
        const u1 = ((words[p] >>> 8) + 1) * TWO_NEG_24;
        const u2 = (words[p + 1] >>> 8) * TWO_NEG_24;
        const r = Math.sqrt(-2 * Math.log(u1));
        out[i + p] = r * Math.cos(2 * Math.PI * u2);
        if (p + 1 < m) out[i + p + 1] = r * Math.sin(2 * Math.PI * u2);
      }
    }
  }
}

/** How many counter blocks a draw of n elements consumes (the generator advances by this). */
export function philoxBlocks(n: number): bigint {
  return BigInt(Math.ceil(n / 4));
}
