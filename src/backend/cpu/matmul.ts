// Batched matrix multiply of the cpu backend: out[..., M, N] = a[..., M, K] · b[..., K, N].
// Batch dims are already broadcast (stride 0 where an operand repeats); a and b may be
// transposed or otherwise strided, which the packing in gemm.ts absorbs; so may out (a view the
// caller hands in, e.g. a transposed or gapped slice), which the strided store writes.

import type { View } from "../backend.js";
import { arr, collapse } from "./strided.js";
import { numelOf } from "../../core/shape.js";
import { gemm, type FloatArray, type MatrixRef } from "./gemm.js";

export function matmul(a: View, b: View, out: View): void {
  const r = out.shape.length;
  const M = out.shape[r - 2], N = out.shape[r - 1], K = a.shape[r - 1];
  const batchShape = out.shape.slice(0, r - 2);
  if (M === 0 || N === 0 || numelOf(batchShape) === 0) return;
  const as = a.strides, bs = b.strides, os = out.strides;
  const batch = collapse(batchShape, [as.slice(0, r - 2), bs.slice(0, r - 2), out.strides.slice(0, r - 2)]);

  if (a.dtype === "int32") {
    forEachBatch(batch.shape, batch.strides, [a.offset, b.offset, out.offset], (ao, bo, oo) =>
      intGemm(M, N, K, arr(a) as Int32Array, ao, as[r - 2], as[r - 1], arr(b) as Int32Array, bo, bs[r - 2], bs[r - 1], arr(out) as Int32Array, oo, os[r - 2], os[r - 1]));
    return;
  }

  const A = arr(a) as FloatArray, B = arr(b) as FloatArray, O = arr(out) as FloatArray;
  // A shared right operand (x[..., M, K] · W[K, N]) whose left rows stack evenly across the
  // batch (and whose output rows do too) is one tall product: fold the batch into M so the
  // weight is packed once.
  const nb = batch.shape.length;
  if (nb === 1 && batch.strides[1][0] === 0 && batch.strides[0][0] === M * as[r - 2] && batch.strides[2][0] === M * os[r - 2]) {
    const rows = batch.shape[0] * M;
    gemm(rows, N, K, 1, ref(A, a.offset, as[r - 2], as[r - 1]), ref(B, b.offset, bs[r - 2], bs[r - 1]), 0, ref(O, out.offset, os[r - 2], os[r - 1]));
    return;
  }
  forEachBatch(batch.shape, batch.strides, [a.offset, b.offset, out.offset], (ao, bo, oo) =>
    gemm(M, N, K, 1, ref(A, ao, as[r - 2], as[r - 1]), ref(B, bo, bs[r - 2], bs[r - 1]), 0, ref(O, oo, os[r - 2], os[r - 1])));
}

function ref(data: FloatArray, offset: number, rowStride: number, colStride: number): MatrixRef {
  return { data, offset, rowStride, colStride };
}

/** Call body with the offsets of a, b and out for every batch index (odometer over collapsed dims). */
function forEachBatch(
  shape: readonly number[], strides: readonly (readonly number[])[], base: readonly number[],
  body: (ao: number, bo: number, oo: number) => void,
): void {
  const nd = shape.length;
  if (nd === 0) {
    body(base[0], base[1], base[2]);
    return;
  }
  const idx = new Array<number>(nd).fill(0);
  const off = [...base];
  for (;;) {
    body(off[0], off[1], off[2]);
    let d = nd - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      for (let k = 0; k < 3; k++) off[k] += strides[k][d];
      if (idx[d] < shape[d]) break;
      for (let k = 0; k < 3; k++) off[k] -= strides[k][d] * shape[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

/** Integer product with int32 wrap-around, as torch's integer matmul. */
function intGemm(
  M: number, N: number, K: number,
  A: Int32Array, ao: number, ars: number, acs: number,
  B: Int32Array, bo: number, brs: number, bcs: number,
  O: Int32Array, oo: number, ors: number, ocs: number,
): void {
  for (let i = 0; i < M; i++) {
    const orow = oo + i * ors;
    for (let j = 0; j < N; j++) O[orow + j * ocs] = 0;
    for (let p = 0; p < K; p++) {
      const av = A[ao + i * ars + p * acs];
      if (av === 0) continue;
      let bi = bo + p * brs;
      for (let j = 0; j < N; j++, bi += bcs) O[orow + j * ocs] = (O[orow + j * ocs] + Math.imul(av, B[bi])) | 0;
    }
  }
}
