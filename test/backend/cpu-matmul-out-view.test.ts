// The cpu backend's matmul writes the output view it is handed, strides and all (the kernel
// contract): a transposed output, a gapped one, and batched gapped outputs (which must not take
// the tall-product shortcut) hold the dense product and leave every other element untouched.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import { cpuBackend } from "../../src/backend/cpu/index.js";

function view(buf: Float32Array | Int32Array, shape: number[], strides: number[], offset = 0): View {
  return { buf, dtype: buf instanceof Int32Array ? "int32" : "float32", shape, strides, offset };
}

/** Dense reference: out[b, i, j] = Σ_p a[b, i, p]·b[p, j] (b shared across the batch). */
function reference(a: number[], b: number[], batch: number, M: number, K: number, N: number): number[] {
  const out: number[] = [];
  for (let t = 0; t < batch; t++)
    for (let i = 0; i < M; i++)
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let p = 0; p < K; p++) s += a[t * M * K + i * K + p] * b[p * N + j];
        out.push(s);
      }
  return out;
}

for (const dtype of ["float32", "int32"] as const) {
  test(`cpu matmul (${dtype}) writes transposed and gapped output views`, () => {
    const Arr = dtype === "int32" ? Int32Array : Float32Array;
    const batch = 3, M = 4, K = 5, N = 3;
    const a = Array.from({ length: batch * M * K }, (_, i) => ((i * 7) % 11) - 5);
    const b = Array.from({ length: K * N }, (_, i) => ((i * 5) % 9) - 4);
    const expected = reference(a, b, batch, M, K, N);
    const A = view(Arr.from(a), [batch, M, K], [M * K, K, 1]);
    const B = view(Arr.from(b), [batch, K, N], [0, N, 1]);
    const sentinel = -777;
    // Transposed: element (t, i, j) at t·M·N + j·M + i. Gapped: rows of N + 2, batches of M·(N + 2) + 1, offset 2.
    const layouts: { strides: number[]; offset: number; size: number }[] = [
      { strides: [M * N, 1, M], offset: 0, size: batch * M * N },
      { strides: [M * (N + 2) + 1, N + 2, 1], offset: 2, size: 2 + batch * (M * (N + 2) + 1) },
    ];
    for (const { strides, offset, size } of layouts) {
      const buf = new Arr(size).fill(sentinel);
      cpuBackend.matmul(A, B, view(buf, [batch, M, N], strides, offset));
      const written = new Set<number>();
      let k = 0;
      for (let t = 0; t < batch; t++)
        for (let i = 0; i < M; i++)
          for (let j = 0; j < N; j++) {
            const at = offset + t * strides[0] + i * strides[1] + j * strides[2];
            written.add(at);
            assert.equal(buf[at], expected[k++], `out[${t}, ${i}, ${j}] with strides ${strides}`);
          }
      for (let i = 0; i < size; i++) if (!written.has(i)) assert.equal(buf[i], sentinel, `element ${i} outside the view was written`);
    }
  });
}
