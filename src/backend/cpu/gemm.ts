// Cache-blocked, packed general matrix multiply of the cpu backend (the Goto/BLIS scheme).
//
//   for each NC-wide column block of B and C:
//     for each KC-deep slice of the inner dimension:
//       pack B[slice, block] into NR-wide column panels      (stays in L2/L3, reused by every row block)
//       for each MC-tall row block of A:
//         pack A[block, slice] into MR-tall row panels      (stays in L2)
//         C_block = A_panels · B_panels                      (gemm-kernel.ts, MR×NR tile in registers)
//         C[block] (+)= alpha · C_block                      (store, with beta on the first slice)
//
// Packing is where operand layout is absorbed: a transposed, strided or broadcast matrix costs
// nothing extra, and convolution packs straight from the image (im2col.ts) without a column
// buffer. The packers and the store are callbacks, so matmul and the three convolution kernels
// share this one driver. Scratch lives in one heap allocated on first use and reused by every
// call (the cpu backend is single-threaded, so no call can interleave with another).

import { MR as KERNEL_MR, NR as KERNEL_NR, createGemmHeap, type GemmHeap } from "./gemm-kernel.js";

// Local copies: an imported binding can be a live getter under some module loaders, which is
// a function call on every use in a hot loop.
/** Rows and columns of the micro-kernel's register tile. */
export const MR = KERNEL_MR, NR = KERNEL_NR;

/** Depth of a packed slice: an MR- and an NR-panel of KC doubles (8 KiB each) share L1. */
export const KC = 256;
/** Rows of A per packed block (MC·KC doubles = 256 KiB, within L2). */
export const MC = 128;
/** Columns of B per packed block (KC·NC doubles = 2 MiB, within L3). */
export const NC = 1024;

const A_OFFSET = 0;
const B_OFFSET = MC * KC;
const C_OFFSET = B_OFFSET + KC * NC;
const HEAP_BYTES = 1 << 22;
if ((C_OFFSET + MC * NC) * 8 > HEAP_BYTES || MC % MR !== 0 || NC % NR !== 0) {
  throw new Error("gemm: block sizes must be multiples of the micro-tile and fit the scratch heap");
}

let heap: GemmHeap | null = null;
let preferred: "asm.js" | "javascript" = "asm.js";

function gemmHeap(): GemmHeap {
  return (heap ??= createGemmHeap(HEAP_BYTES, preferred));
}

/** Which inner loops run ("asm.js" normally). Tests switch to "javascript" to check the fallback. */
export function gemmKernelKind(): GemmHeap["kind"] {
  return gemmHeap().kind;
}
/** @internal Rebuild the scratch heap with the given kernel (for tests and benchmarks). */
export function setGemmKernel(kind: "asm.js" | "javascript"): void {
  preferred = kind;
  heap = null;
}

/**
 * Write rows i0..i0+mc of the current KC-slice p0..p0+kc of A into H at dst as ceil(mc/MR)
 * panels: for each k, MR consecutive values, rows past mc zero.
 */
export type PackA = (H: Float64Array, dst: number, i0: number, mc: number, p0: number, kc: number) => void;
/** Write columns j0..j0+nc of slice p0..p0+kc of B as ceil(nc/NR) panels of NR values per k, zero-padded. */
export type PackB = (H: Float64Array, dst: number, p0: number, kc: number, j0: number, nc: number) => void;
/**
 * Deliver a computed block: H[src + i·ld + j] for i < mc, j < nc is Σ over one KC-slice of
 * A[i0+i, k]·B[k, j0+j]. `first` is true for the first slice of the block (the store then
 * applies beta / overwrites) and false for later ones (it accumulates).
 */
export type StoreC = (H: Float64Array, src: number, ld: number, i0: number, mc: number, j0: number, nc: number, first: boolean) => void;

const roundUp = (n: number, m: number): number => Math.ceil(n / m) * m;

/** The blocked loop nest: C = A·B for an M×K by K×N product given by its packers and store. */
export function blockedGemm(M: number, N: number, K: number, packA: PackA, packB: PackB, storeC: StoreC): void {
  if (M === 0 || N === 0 || K === 0) return;
  const { f64: H, block } = gemmHeap();
  for (let jc = 0; jc < N; jc += NC) {
    const nc = Math.min(NC, N - jc), ncPadded = roundUp(nc, NR);
    for (let pc = 0; pc < K; pc += KC) {
      const kc = Math.min(KC, K - pc);
      packB(H, B_OFFSET, pc, kc, jc, nc);
      for (let ic = 0; ic < M; ic += MC) {
        const mc = Math.min(MC, M - ic);
        packA(H, A_OFFSET, ic, mc, pc, kc);
        block(roundUp(mc, MR), ncPadded, kc, A_OFFSET, B_OFFSET, C_OFFSET);
        storeC(H, C_OFFSET, ncPadded, ic, mc, jc, nc, pc === 0);
      }
    }
  }
}

// ---- the strided-matrix GEMM ------------------------------------------------------------------

export type FloatArray = Float32Array | Float64Array;

/** A matrix inside a typed array: element (i, j) is data[offset + i·rowStride + j·colStride]. */
export interface MatrixRef<T extends FloatArray = FloatArray> {
  data: T;
  offset: number;
  rowStride: number;
  colStride: number;
}

/** A row-major (or, with `transpose`, column-major) matrix with leading dimension ld. */
export function matrixRef<T extends FloatArray>(data: T, offset: number, ld: number, transpose = false): MatrixRef<T> {
  return transpose ? { data, offset, rowStride: 1, colStride: ld } : { data, offset, rowStride: ld, colStride: 1 };
}

/** Pack rows of a strided matrix as MR-row panels (shared by matmul's A and conv's weights). */
export function packRowsStrided(src: FloatArray, off: number, rs: number, cs: number): PackA {
  return (H, dst, i0, mc, p0, kc) => {
    for (let ir = 0; ir < mc; ir += MR) {
      const rows = Math.min(MR, mc - ir);
      let s = off + (i0 + ir) * rs + p0 * cs;
      if (rows === MR) {
        const r1 = rs, r2 = 2 * rs, r3 = 3 * rs;
        for (let p = 0; p < kc; p++, s += cs, dst += MR) {
          H[dst] = src[s]; H[dst + 1] = src[s + r1]; H[dst + 2] = src[s + r2]; H[dst + 3] = src[s + r3];
        }
      } else {
        for (let p = 0; p < kc; p++, s += cs, dst += MR) {
          for (let r = 0; r < MR; r++) H[dst + r] = r < rows ? src[s + r * rs] : 0;
        }
      }
    }
  };
}

/** Pack columns of a strided matrix as NR-column panels. */
export function packColsStrided(src: FloatArray, off: number, rs: number, cs: number): PackB {
  return (H, dst, p0, kc, j0, nc) => {
    for (let jr = 0; jr < nc; jr += NR) {
      const cols = Math.min(NR, nc - jr);
      let s = off + p0 * rs + (j0 + jr) * cs;
      if (cols === NR) {
        const c1 = cs, c2 = 2 * cs, c3 = 3 * cs;
        for (let p = 0; p < kc; p++, s += rs, dst += NR) {
          H[dst] = src[s]; H[dst + 1] = src[s + c1]; H[dst + 2] = src[s + c2]; H[dst + 3] = src[s + c3];
        }
      } else {
        for (let p = 0; p < kc; p++, s += rs, dst += NR) {
          for (let c = 0; c < NR; c++) H[dst + c] = c < cols ? src[s + c * cs] : 0;
        }
      }
    }
  };
}

/** Store blocks into a strided C as C = alpha·A·B + beta·C (beta = 0 never reads C, as BLAS). */
export function storeStrided(dst: FloatArray, off: number, rs: number, cs: number, alpha: number, beta: number): StoreC {
  return (H, src, ld, i0, mc, j0, nc, first) => {
    for (let i = 0; i < mc; i++) {
      let h = src + i * ld;
      let d = off + (i0 + i) * rs + j0 * cs;
      if (!first || beta === 1) {
        if (alpha === 1) for (let j = 0; j < nc; j++, h++, d += cs) dst[d] += H[h];
        else for (let j = 0; j < nc; j++, h++, d += cs) dst[d] += alpha * H[h];
      } else if (beta === 0) {
        if (alpha === 1) for (let j = 0; j < nc; j++, h++, d += cs) dst[d] = H[h];
        else for (let j = 0; j < nc; j++, h++, d += cs) dst[d] = alpha * H[h];
      } else {
        for (let j = 0; j < nc; j++, h++, d += cs) dst[d] = alpha * H[h] + beta * dst[d];
      }
    }
  };
}

/** Below this many multiply-adds a plain triple loop beats packing. */
const SMALL_GEMM = 4096;

/**
 * C = alpha·A·B + beta·C for an m×k A, k×n B and m×n C given as strided matrices (a transposed
 * operand is the same matrix with its strides swapped). Float32 or float64 arrays, which may
 * differ between operands; products are accumulated in double precision. beta = 0 ignores C's
 * old contents (NaN included), as BLAS does.
 */
export function gemm(
  m: number, n: number, k: number, alpha: number,
  a: MatrixRef, b: MatrixRef, beta: number, c: MatrixRef,
): void {
  if (m === 0 || n === 0) return;
  if (k === 0 || alpha === 0) {
    scaleMatrix(c, m, n, beta);
    return;
  }
  if (m === 1) {
    rowTimesMatrix(n, k, alpha, a, b, beta, c);
    return;
  }
  if (m * n * k <= SMALL_GEMM || n === 1) {
    naiveGemm(m, n, k, alpha, a, b, beta, c);
    return;
  }
  blockedGemm(
    m, n, k,
    packRowsStrided(a.data, a.offset, a.rowStride, a.colStride),
    packColsStrided(b.data, b.offset, b.rowStride, b.colStride),
    storeStrided(c.data, c.offset, c.rowStride, c.colStride, alpha, beta),
  );
}

function scaleMatrix(c: MatrixRef, m: number, n: number, beta: number): void {
  const d = c.data;
  for (let i = 0; i < m; i++) {
    let o = c.offset + i * c.rowStride;
    for (let j = 0; j < n; j++, o += c.colStride) d[o] = beta === 0 ? 0 : beta * d[o];
  }
}

/** Dot products straight off the strided operands: for tiny products and matrix-vector ones. */
function naiveGemm(m: number, n: number, k: number, alpha: number, a: MatrixRef, b: MatrixRef, beta: number, c: MatrixRef): void {
  const A = a.data, B = b.data, C = c.data;
  const ars = a.rowStride, acs = a.colStride, brs = b.rowStride, bcs = b.colStride;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let ai = a.offset + i * ars, bi = b.offset + j * bcs;
      let s = 0;
      for (let p = 0; p < k; p++, ai += acs, bi += brs) s += A[ai] * B[bi];
      const o = c.offset + i * c.rowStride + j * c.colStride;
      C[o] = beta === 0 ? alpha * s : alpha * s + beta * C[o];
    }
  }
}

/** A 1×k row times a k×n matrix: walk B row by row (contiguous for a row-major B), sums in the heap. */
function rowTimesMatrix(n: number, k: number, alpha: number, a: MatrixRef, b: MatrixRef, beta: number, c: MatrixRef): void {
  const H = gemmHeap().f64, A = a.data, B = b.data, C = c.data;
  const chunk = H.length;
  for (let j0 = 0; j0 < n; j0 += chunk) {
    const nc = Math.min(chunk, n - j0);
    H.fill(0, 0, nc);
    for (let p = 0; p < k; p++) {
      const av = A[a.offset + p * a.colStride];
      let bi = b.offset + p * b.rowStride + j0 * b.colStride;
      const bcs = b.colStride;
      for (let j = 0; j < nc; j++, bi += bcs) H[j] += av * B[bi];
    }
    let o = c.offset + j0 * c.colStride;
    for (let j = 0; j < nc; j++, o += c.colStride) C[o] = beta === 0 ? alpha * H[j] : alpha * H[j] + beta * C[o];
  }
}
