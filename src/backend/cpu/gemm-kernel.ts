// The innermost GEMM loops: multiply one packed block of A by one packed block of B.
//
// The blocked driver (gemm.ts) packs a block of A as row panels of MR rows (for each k, MR
// consecutive values) and a block of B as column panels of NR columns, both as float64 in one
// scratch heap, and asks `block` for C = A·B over that block. The register-blocked micro-kernel
// keeps an MR×NR tile of C in local variables and streams the two panels once.
//
// The loops are written in the asm.js subset of JavaScript. It is still plain JavaScript (an
// engine without asm.js support simply runs it as such), but V8 validates it and compiles it like
// WebAssembly: no bounds, map or overflow checks around each typed-array load, which makes this
// ~1.5x faster than the same loops as ordinary JavaScript. The source is kept as a string and
// built with `new Function` because transpilers normalise `0.0` to `0`, and asm.js reads the `.0`
// as the type annotation "double". Where code cannot be built at run time (a strict CSP), a
// hand-written JavaScript version of the same loops is used instead.

/** Rows of A (and of the C tile) per micro-kernel step. */
export const MR = 4;
/** Columns of B (and of the C tile) per micro-kernel step. 4×4 measured as fast as any other
 * shape from 2×4 to 8×2 (V8 keeps 15 doubles in registers; every shape spills a little). */
export const NR = 4;

/**
 * C[0:mc, 0:nc] = A[0:mc, 0:kc] · B[0:kc, 0:nc] on the heap, offsets in elements: A packed as
 * mc/MR panels of kc×MR, B as nc/NR panels of kc×NR, C stored row-major with row length nc.
 * mc and nc are multiples of MR and NR (the packers pad with zeros).
 */
export type BlockKernel = (mc: number, nc: number, kc: number, aOff: number, bOff: number, cOff: number) => void;

export interface GemmHeap {
  /** The float64 scratch the packers write into and the kernel reads. */
  readonly f64: Float64Array;
  readonly block: BlockKernel;
  /** "asm.js" when the validated module runs, "javascript" for the fallback. */
  readonly kind: "asm.js" | "javascript";
}

/** Source of the asm.js module: one exported function, `block`, with the loops unrolled for MR×NR. */
function asmSource(): string {
  const rows = [...Array(MR).keys()], cols = [...Array(NR).keys()];
  const acc = (r: number, c: number): string => `c${r}${c}`;
  const lines: string[] = [];
  const emit = (s: string): void => void lines.push(s);
  emit(`"use asm";`);
  emit(`var H = new stdlib.Float64Array(heap);`);
  emit(`var imul = stdlib.Math.imul;`);
  emit(`function block(mc, nc, kc, aOff, bOff, cOff) {`);
  emit(`mc = mc | 0; nc = nc | 0; kc = kc | 0; aOff = aOff | 0; bOff = bOff | 0; cOff = cOff | 0;`);
  emit(`var ir = 0, jr = 0, p = 0, ai = 0, bi = 0, ci = 0, rowBytes = 0, panelBytes = 0;`);
  emit(`var b = 0.0, ${rows.map((r) => `a${r} = 0.0`).join(", ")};`);
  emit(`var ${rows.flatMap((r) => cols.map((c) => `${acc(r, c)} = 0.0`)).join(", ")};`);
  emit(`rowBytes = nc << 3;`);
  emit(`panelBytes = kc << 3;`);
  emit(`for (jr = 0; (jr | 0) < (nc | 0); jr = (jr + ${NR}) | 0) {`);
  emit(`for (ir = 0; (ir | 0) < (mc | 0); ir = (ir + ${MR}) | 0) {`);
  emit(`ai = ((aOff << 3) + imul(ir, panelBytes)) | 0;`);
  emit(`bi = ((bOff << 3) + imul(jr, panelBytes)) | 0;`);
  emit(rows.flatMap((r) => cols.map((c) => `${acc(r, c)} = 0.0;`)).join(" "));
  emit(`for (p = 0; (p | 0) < (kc | 0); p = (p + 1) | 0) {`);
  for (const r of rows) emit(`a${r} = +H[(ai + ${8 * r}) >> 3];`);
  for (const c of cols) {
    emit(`b = +H[(bi + ${8 * c}) >> 3];`);
    emit(rows.map((r) => `${acc(r, c)} = ${acc(r, c)} + a${r} * b;`).join(" "));
  }
  emit(`ai = (ai + ${8 * MR}) | 0; bi = (bi + ${8 * NR}) | 0;`);
  emit(`}`);
  emit(`ci = ((cOff << 3) + (imul(ir, nc) + jr << 3)) | 0;`);
  rows.forEach((r) => {
    if (r > 0) emit(`ci = (ci + rowBytes) | 0;`);
    emit(cols.map((c) => `H[(ci + ${8 * c}) >> 3] = ${acc(r, c)};`).join(" "));
  });
  emit(`}`);
  emit(`}`);
  emit(`}`);
  emit(`return { block: block };`);
  return lines.join("\n");
}

/** The same loops as ordinary JavaScript, for engines that cannot build code at run time. */
function javascriptBlock(H: Float64Array): BlockKernel {
  return (mc, nc, kc, aOff, bOff, cOff) => {
    for (let jr = 0; jr < nc; jr += NR) {
      for (let ir = 0; ir < mc; ir += MR) {
        let ai = aOff + ir * kc, bi = bOff + jr * kc;
        let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        let c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (let p = 0; p < kc; p++, ai += 4, bi += 4) {
          const a0 = H[ai], a1 = H[ai + 1], a2 = H[ai + 2], a3 = H[ai + 3];
          const b0 = H[bi], b1 = H[bi + 1], b2 = H[bi + 2], b3 = H[bi + 3];
          c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
          c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
          c20 += a2 * b0; c21 += a2 * b1; c22 += a2 * b2; c23 += a2 * b3;
          c30 += a3 * b0; c31 += a3 * b1; c32 += a3 * b2; c33 += a3 * b3;
        }
        let ci = cOff + ir * nc + jr;
        H[ci] = c00; H[ci + 1] = c01; H[ci + 2] = c02; H[ci + 3] = c03; ci += nc;
        H[ci] = c10; H[ci + 1] = c11; H[ci + 2] = c12; H[ci + 3] = c13; ci += nc;
        H[ci] = c20; H[ci + 1] = c21; H[ci + 2] = c22; H[ci + 3] = c23; ci += nc;
        H[ci] = c30; H[ci + 1] = c31; H[ci + 2] = c32; H[ci + 3] = c33;
      }
    }
  };
}

/**
 * A fresh heap of `bytes` (asm.js wants a power of two of at least 4 KiB) with its kernel.
 * `prefer` forces the JavaScript loops (tests use it to check both versions agree).
 */
export function createGemmHeap(bytes: number, prefer: "asm.js" | "javascript" = "asm.js"): GemmHeap {
  const buffer = new ArrayBuffer(bytes);
  const f64 = new Float64Array(buffer);
  if (prefer === "asm.js") {
    try {
      const factory = new Function("stdlib", "foreign", "heap", asmSource()) as (
        stdlib: unknown, foreign: unknown, heap: ArrayBuffer,
      ) => { block: BlockKernel };
      const mod = factory(globalThis, null, buffer);
      return { f64, block: mod.block, kind: "asm.js" };
    } catch {
      // Run-time code generation is disallowed here: fall through to the plain loops.
    }
  }
  return { f64, block: javascriptBlock(f64), kind: "javascript" };
}
