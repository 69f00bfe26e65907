import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";
import { gemm, matrixRef, setGemmKernel, gemmKernelKind, KC, MC } from "../../src/backend/cpu/gemm.js";

/** Reference product of the last two dims in float64 with plain loops, batch dims broadcast. */
function referenceMatmul(a: nb.Tensor, b: nb.Tensor): { shape: number[]; data: Float64Array } {
  const A = a.ndim === 1 ? a.unsqueeze(0) : a, B = b.ndim === 1 ? b.unsqueeze(1) : b;
  const M = A.shape[A.ndim - 2], K = A.shape[A.ndim - 1], N = B.shape[B.ndim - 1];
  const ba = A.shape.slice(0, -2), bb = B.shape.slice(0, -2);
  const n = Math.max(ba.length, bb.length);
  const pad = (s: number[]): number[] => [...new Array(n - s.length).fill(1), ...s];
  const pa = pad(ba), pb = pad(bb);
  const batch = pa.map((d, i) => Math.max(d, pb[i]));
  const Ae = A.reshape([...pa, M, K]).expand([...batch, M, K]).contiguous().dataSync();
  const Be = B.reshape([...pb, K, N]).expand([...batch, K, N]).contiguous().dataSync();
  const count = batch.reduce((x, y) => x * y, 1);
  const data: number[] = [];
  for (let t = 0; t < count; t++) {
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < N; j++) {
        let s = 0;
        for (let p = 0; p < K; p++) s += Ae[t * M * K + i * K + p] * Be[t * K * N + p * N + j];
        data.push(s);
      }
    }
  }
  let shape = [...batch, M, N];
  if (a.ndim === 1) shape = [...shape.slice(0, -2), N];
  if (b.ndim === 1) shape = shape.slice(0, -1);
  return { shape, data: Float64Array.from(data) };
}

function checkAgainstReference(a: nb.Tensor, b: nb.Tensor, rtol: number, msg: string): void {
  const out = nb.matmul(a, b);
  const ref = referenceMatmul(a, b);
  assert.deepEqual(out.shape, ref.shape, `${msg}: shape`);
  assertClose(out, ref.data, { rtol, atol: rtol, msg });
}

test("matmul of small matrices gives the hand-worked products", () => {
  const a = nb.tensor([[1, 2, 3], [4, 5, 6]]);
  const b = nb.tensor([[7, 8], [9, 10], [11, 12]]);
  assertClose(nb.matmul(a, b), [[58, 64], [139, 154]]);
  assertClose(a.mm(b), [[58, 64], [139, 154]]);
  assertClose(b.matmul(a), [[39, 54, 69], [49, 68, 87], [59, 82, 105]]);
});

test("matmul follows torch's rules for 1-D operands", () => {
  const v = nb.tensor([1, 2, 3]);
  const d = nb.matmul(v, nb.tensor([4, 5, 6]));
  assert.deepEqual(d.shape, []);
  assert.equal(d.item(), 32);
  const m = nb.tensor([[1, 0, 2], [0, 1, 3]]);
  assertClose(nb.matmul(m, v), [7, 11]);
  assertClose(nb.matmul(nb.tensor([1, 2]), m), [1, 2, 8]);
  // A 1-D operand against a batch: lifted, broadcast, then its dim removed.
  const batch = nb.arange(0, 12).reshape([2, 2, 3]);
  assertClose(nb.matmul(batch, v), [[8, 26], [44, 62]]);
  assert.deepEqual(nb.matmul(nb.tensor([1, 1]), batch).shape, [2, 3]);
  assertClose(nb.matmul(nb.tensor([1, 1]), batch), [[3, 5, 7], [15, 17, 19]]);
});

test("batched matmul broadcasts batch dimensions", () => {
  const a = randomInput([2, 1, 3, 4], 1), b = randomInput([5, 4, 2], 2);
  const out = nb.matmul(a, b);
  assert.deepEqual(out.shape, [2, 5, 3, 2]);
  checkAgainstReference(a, b, 1e-12, "[2,1,3,4]@[5,4,2]");
  checkAgainstReference(randomInput([3, 4], 3), randomInput([2, 4, 5], 4), 1e-12, "[3,4]@[2,4,5]");
  checkAgainstReference(randomInput([2, 3, 6, 4], 5), randomInput([4, 7], 6), 1e-12, "[2,3,6,4]@[4,7]");
  assertClose(nb.bmm(a.reshape([2, 3, 4]), randomInput([2, 4, 2], 7)), referenceMatmul(a.reshape([2, 3, 4]), randomInput([2, 4, 2], 7)).data, { rtol: 1e-12 });
});

test("blocked products match a plain reference across block edges, in float32 and float64", () => {
  // Sizes straddle the micro-tile (4), the row block (MC) and the depth block (KC).
  const M = MC + 5, K = KC + 37, N = 67;
  for (const dtype of ["float64", "float32"] as const) {
    const a = randomInput([M, K], 11).to(dtype), b = randomInput([K, N], 12).to(dtype);
    checkAgainstReference(a, b, dtype === "float64" ? 1e-12 : 2e-5, `${dtype} ${M}x${K}x${N}`);
  }
  checkAgainstReference(randomInput([3, 37, 19], 13), randomInput([3, 19, 41], 14), 1e-12, "batched odd sizes");
  checkAgainstReference(randomInput([1, 300], 15), randomInput([300, 9], 16), 1e-12, "single row");
  checkAgainstReference(randomInput([70, 300], 17), randomInput([300, 1], 18), 1e-12, "single column");
});

test("transposed, sliced and expanded operands are read through their strides", () => {
  const base = randomInput([40, 50], 21);
  const at = base.transpose(0, 1); // [50, 40], column-major
  const b = randomInput([40, 30], 22);
  checkAgainstReference(at, b, 1e-12, "transposed left");
  checkAgainstReference(randomInput([30, 40], 23), randomInput([50, 40], 24).transpose(0, 1), 1e-12, "transposed right");
  const stepped = nb.slice(nb.slice(base, 0, 1, 40, 3), 1, 2, 50, 2); // [13, 24] with strides [150, 2]
  checkAgainstReference(stepped, randomInput([24, 9], 25), 1e-12, "stepped slices");
  const row = randomInput([1, 8, 6], 26).expand([5, 8, 6]);
  checkAgainstReference(row, randomInput([5, 6, 7], 27), 1e-12, "expanded batch");
  const weight = randomInput([6, 20], 28).transpose(0, 1);
  checkAgainstReference(randomInput([4, 9, 20], 29), weight, 1e-12, "batch folded into rows");
});

test("the asm.js and plain JavaScript inner loops agree", () => {
  const a = randomInput([37, 300], 31), b = randomInput([300, 45], 32);
  const fast = nb.matmul(a, b).dataSync();
  try {
    setGemmKernel("javascript");
    assert.equal(gemmKernelKind(), "javascript");
    assertClose(nb.matmul(a, b), fast, { rtol: 1e-13, atol: 1e-12 });
  } finally {
    setGemmKernel("asm.js");
  }
  assert.equal(gemmKernelKind(), "asm.js");
});

test("low-level gemm supports alpha, beta and strided C", () => {
  const m = 9, n = 11, k = 13;
  const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i));
  const Bt = Float64Array.from({ length: n * k }, (_, i) => Math.cos(i)); // B stored transposed
  const C = new Float64Array(2 * m * n).fill(1); // C column-major with leading dim 2m
  gemm(m, n, k, 2, matrixRef(A, 0, k), matrixRef(Bt, 0, k, true), 0.5, { data: C, offset: 0, rowStride: 1, colStride: 2 * m });
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += A[i * k + p] * Bt[j * k + p];
      assert.ok(Math.abs(C[i + j * 2 * m] - (2 * s + 0.5)) < 1e-6, `C[${i},${j}]`);
    }
  }
  // beta = 0 ignores NaN in C; k = 0 leaves beta·C.
  const D = new Float32Array(m * n).fill(NaN);
  gemm(m, n, k, 1, matrixRef(A, 0, k), matrixRef(Bt, 0, k, true), 0, matrixRef(D, 0, n));
  assert.ok(D.every(Number.isFinite));
  const E = new Float32Array(4).fill(3);
  gemm(2, 2, 0, 1, matrixRef(A, 0, 0), matrixRef(A, 0, 2), 2, matrixRef(E, 0, 2));
  assert.deepEqual([...E], [6, 6, 6, 6]);
});

test("dtype promotion: float32·float64 is float64, int32·float32 is float32, int32·int32 stays int32", () => {
  const f = nb.tensor([[1, 2], [3, 4]]);
  const d = nb.tensor([[1, 0], [0, 1]], { dtype: "float64" } as nb.TensorOptions);
  assert.equal(nb.matmul(f, d).dtype, "float64");
  const i = nb.tensor([[2, 0], [0, 2]], { dtype: "int32" });
  assert.equal(nb.matmul(i, f).dtype, "float32");
  assertClose(nb.matmul(i, f), [[2, 4], [6, 8]]);
  const ii = nb.matmul(i, nb.tensor([[1, 2], [3, 4]], { dtype: "int32" }));
  assert.equal(ii.dtype, "int32");
  assert.deepEqual(ii.toArray(), [[2, 4], [6, 8]]);
  assertThrowsMatching(() => nb.matmul(nb.tensor([true, false], { dtype: "bool" }), nb.tensor([true, true], { dtype: "bool" })), /^matmul: bool/);
});

test("empty dimensions give empty or zero results", () => {
  assert.deepEqual(nb.matmul(nb.zeros([0, 3]), nb.zeros([3, 4])).shape, [0, 4]);
  assertClose(nb.matmul(nb.ones([2, 0]), nb.ones([0, 3])), [[0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(nb.matmul(nb.zeros([0, 2, 3]), nb.zeros([3, 4])).shape, [0, 2, 4]);
});

test("dot, outer and linear", () => {
  assert.equal(nb.dot(nb.tensor([1, 2, 3]), nb.tensor([-1, 0, 2])).item(), 5);
  assert.equal(nb.tensor([1, 2]).dot(nb.tensor([3, 4])).item(), 11);
  assertClose(nb.outer(nb.tensor([1, 2]), nb.tensor([3, 4, 5])), [[3, 4, 5], [6, 8, 10]]);
  const x = nb.tensor([[1, 2, 3], [0, -1, 1]]);
  const w = nb.tensor([[1, 0, 0], [0, 1, 1]]);
  assertClose(nb.linear(x, w), [[1, 5], [0, 0]]);
  assertClose(nb.linear(x, w, nb.tensor([10, 20])), [[11, 25], [10, 20]]);
  assertClose(nb.linear(nb.tensor([1, 2, 3]), w, nb.tensor([1, 1])), [2, 6]);
  const x3 = randomInput([2, 3, 5], 41), w3 = randomInput([4, 5], 42);
  assert.deepEqual(nb.linear(x3, w3).shape, [2, 3, 4]);
  checkAgainstReference(x3, w3.transpose(0, 1), 1e-12, "linear 3-D");
  assertClose(nb.linear(x3, w3), nb.matmul(x3, w3.transpose(0, 1)), { rtol: 1e-12 });
});

test("gradients of matmul match finite differences, including broadcast batches and 1-D operands", () => {
  gradcheck((a, b) => nb.matmul(a, b), [randomInput([3, 4], 51), randomInput([4, 2], 52)], { name: "2-D" });
  gradcheck((a, b) => nb.matmul(a, b), [randomInput([2, 1, 3, 4], 53), randomInput([3, 4, 2], 54)], { name: "broadcast batch" });
  gradcheck((a, b) => nb.matmul(a, b), [randomInput([2, 3, 4], 55), randomInput([4, 2], 56)], { name: "shared right matrix" });
  gradcheck((a, b) => nb.matmul(a, b), [randomInput([3, 4], 57), randomInput([2, 4, 2], 58)], { name: "shared left matrix" });
  gradcheck((a, b) => nb.matmul(a, b), [randomInput([4], 59), randomInput([4], 60)], { name: "1-D · 1-D" });
  gradcheck((a, b) => nb.matmul(a, b), [randomInput([4], 61), randomInput([2, 4, 3], 62)], { name: "1-D · batch" });
  gradcheck((a, b) => nb.matmul(a, b), [randomInput([2, 3, 4], 63), randomInput([4], 64)], { name: "batch · 1-D" });
  gradcheck((a, b) => nb.matmul(a, b.transpose(0, 1)), [randomInput([3, 4], 65), randomInput([5, 4], 66)], { name: "transposed operand" });
});

test("gradients of mm, bmm, dot, outer and linear match finite differences", () => {
  gradcheck((a, b) => nb.mm(a, b), [randomInput([2, 3], 71), randomInput([3, 4], 72)], { name: "mm" });
  gradcheck((a, b) => nb.bmm(a, b), [randomInput([2, 2, 3], 73), randomInput([2, 3, 2], 74)], { name: "bmm" });
  gradcheck((a, b) => nb.dot(a, b), [randomInput([5], 75), randomInput([5], 76)], { name: "dot" });
  gradcheck((a, b) => nb.outer(a, b), [randomInput([3], 77), randomInput([2], 78)], { name: "outer" });
  gradcheck((x, w, b) => nb.linear(x, w, b), [randomInput([2, 3, 4], 79), randomInput([5, 4], 80), randomInput([5], 81)], { name: "linear" });
  gradcheck((x, w) => nb.linear(x, w), [randomInput([4], 82), randomInput([3, 4], 83)], { name: "linear 1-D input" });
});

test("a gradient only flows to the operands that need it", () => {
  const a = randomInput([3, 4], 91);
  a.requiresGrad = true;
  const b = randomInput([4, 2], 92);
  nb.matmul(a, b).sum().backward();
  assert.equal(b.grad, null);
  assertClose(a.grad!, nb.ones([3, 2], { dtype: "float64" } as nb.TensorOptions).matmul(b.transpose(0, 1)), { rtol: 1e-12 });
});

test("matmul errors name the op, the shapes and the problem", () => {
  assertThrowsMatching(() => nb.matmul(nb.zeros([2, 3]), nb.zeros([4, 5])), /^matmul: shapes \[2, 3\] and \[4, 5\] cannot be multiplied \(inner dimensions 3 and 4 differ\)$/);
  assertThrowsMatching(() => nb.matmul(nb.zeros([3]), nb.zeros([4])), /^matmul: shapes \[3\] and \[4\]/, /inner dimensions 3 and 4/);
  assertThrowsMatching(() => nb.matmul(nb.zeros([2, 2, 3]), nb.zeros([3, 3, 1])), /^matmul:/, /batch dimensions \[2\] and \[3\]/);
  assertThrowsMatching(() => nb.matmul(nb.tensor(2), nb.zeros([3])), /^matmul: both arguments need at least 1 dimension/);
  assertThrowsMatching(() => nb.mm(nb.zeros([2, 3, 4]), nb.zeros([4, 2])), /^mm: expected two 2-D tensors/, /\[2, 3, 4\]/);
  assertThrowsMatching(() => nb.bmm(nb.zeros([2, 3, 4]), nb.zeros([3, 4, 2])), /^bmm: batch sizes differ/);
  assertThrowsMatching(() => nb.bmm(nb.zeros([2, 3, 4]), nb.zeros([2, 5, 2])), /^bmm: shapes/, /inner dimensions 4 and 5/);
  assertThrowsMatching(() => nb.dot(nb.zeros([3]), nb.zeros([4])), /^dot:/, /\[3\] and \[4\]/);
  assertThrowsMatching(() => nb.dot(nb.zeros([3, 1]), nb.zeros([3])), /^dot: expected two 1-D tensors/);
  assertThrowsMatching(() => nb.linear(nb.zeros([2, 5]), nb.zeros([3, 4])), /^linear: input of shape \[2, 5\] has 5 features, but weight \[3, 4\] expects 4/);
  assertThrowsMatching(() => nb.linear(nb.zeros([2, 4]), nb.zeros([3, 4]), nb.zeros([2])), /^linear: bias must have shape \[3\]/);
  assertThrowsMatching(() => nb.matmul(nb.zeros([2, 2]), [[1, 2]] as unknown as nb.Tensor), /^matmul: other must be a Tensor/);
});
