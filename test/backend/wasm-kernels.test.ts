// The wasm backend's kernels against the cpu reference on odd shapes (sizes that are not multiples
// of the SIMD width or the GEMM tiles, padding, stride 2, dilation, groups, batch 1), forward and
// gradients, with proof that the wasm kernel (not the cpu fallback) ran. GEMM-based results
// (matmul, conv) agree to float32 rounding of a differently ordered sum: |Δ| ≤ 1e-4 + 1e-4·|x|.
// Pooling and the elementwise ops compute exactly what cpu computes, so they must be identical.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { data, hostCalls, onBoth, skipWasm } from "./wasm-helpers.js";

const GEMM_TOL = { rtol: 1e-4, atol: 1e-4 };

function close(label: string, cpu: nb.Tensor[], wasm: nb.Tensor[], tol = GEMM_TOL): void {
  assert.equal(cpu.length, wasm.length);
  cpu.forEach((c, i) => assertClose(wasm[i].to("cpu"), c, { ...tol, msg: `${label} [${i}]` }));
}

function identical(label: string, cpu: nb.Tensor[], wasm: nb.Tensor[]): void {
  cpu.forEach((c, i) => assert.deepEqual(Array.from(wasm[i].dataSync()), Array.from(c.dataSync()), `${label} [${i}]`));
}

test("wasm is a registered, usable backend", { skip: skipWasm }, () => {
  assert.ok(nb.backends().includes("wasm"), String(nb.backends()));
  assert.deepEqual(nb.backends().slice(-2), ["cpu", "wasm"], "wasm is opt-in: it ranks after cpu");
  const t = nb.tensor([1, 2, 3], { device: "wasm" });
  assert.equal(t.backend.name, "wasm");
  assert.deepEqual(t.add(t).toArray(), [2, 4, 6]);
});

test("matmul: odd sizes, K past one GEMM block, transposed and batched operands", { skip: skipWasm }, () => {
  const cases: [string, number[][], (...xs: nb.Tensor[]) => nb.Tensor][] = [
    ["1×1·1×1", [[1, 1], [1, 1]], (a, b) => a.matmul(b)],
    ["5×7·7×3", [[5, 7], [7, 3]], (a, b) => a.matmul(b)],
    ["37×301·301×29 (K > 256)", [[37, 301], [301, 29]], (a, b) => a.matmul(b)],
    ["aᵀ·bᵀ", [[13, 9], [17, 13]], (a, b) => a.transpose(0, 1).matmul(b.transpose(0, 1))],
    ["batched with a shared right operand", [[3, 5, 11], [11, 19]], (a, b) => a.matmul(b)],
    ["batched both sides", [[4, 6, 10], [4, 10, 17]], (a, b) => a.matmul(b)],
    ["broadcast batch of the left operand", [[7, 9], [2, 9, 18]], (a, b) => a.matmul(b)],
    ["linear layer x·Wᵀ + b", [[9, 21], [33, 21], [33]], (x, w, b) => nb.nn.functional.linear(x, w, b)],
  ];
  for (const [label, shapes, fn] of cases) {
    const r = onBoth(shapes, 3, fn, ["matmul"]);
    close(label, r.cpu, r.wasm);
    assert.equal(r.fallbacks, 0, `${label}: every matmul ran in wasm`);
  }
});

test("conv1d/conv2d forward and gradients: padding, stride 2, dilation, groups, 1×1, batch 1, bias", { skip: skipWasm }, () => {
  const F = nb.nn.functional;
  const cases: [string, number[][], (x: nb.Tensor, w: nb.Tensor, b: nb.Tensor) => nb.Tensor][] = [
    ["3×3 pad 1, batch 1", [[1, 3, 9, 11], [5, 3, 3, 3], [5]], (x, w, b) => F.conv2d(x, w, b, { padding: 1 })],
    ["stride 2, asymmetric kernel", [[2, 2, 13, 10], [7, 2, 3, 2], [7]], (x, w, b) => F.conv2d(x, w, b, { stride: 2 })],
    ["stride 2 pad 2 dilation 2", [[3, 3, 15, 14], [4, 3, 3, 3], [4]], (x, w, b) => F.conv2d(x, w, b, { stride: [2, 1], padding: 2, dilation: 2 })],
    ["groups 3", [[2, 6, 8, 9], [9, 2, 3, 3], [9]], (x, w, b) => F.conv2d(x, w, b, { groups: 3, padding: 1 })],
    ["depthwise 5×5", [[2, 4, 11, 11], [4, 1, 5, 5], [4]], (x, w, b) => F.conv2d(x, w, b, { groups: 4, padding: 2 })],
    ["1×1", [[3, 5, 7, 6], [6, 5, 1, 1], [6]], (x, w, b) => F.conv2d(x, w, b)],
    ["conv1d stride 2 pad 1", [[2, 3, 19], [5, 3, 4], [5]], (x, w, b) => F.conv1d(x, w, b, { stride: 2, padding: 1 })],
  ];
  for (const [label, shapes, fn] of cases) {
    const r = onBoth(shapes, 11, fn as (...xs: nb.Tensor[]) => nb.Tensor, ["conv", "convBackwardData", "convBackwardFilter"]);
    close(label, r.cpu, r.wasm);
    assert.equal(r.fallbacks, 0, `${label}: every conv kernel ran in wasm`);
  }
});

test("max and average pooling, forward and gradients, are identical to cpu's", { skip: skipWasm }, () => {
  const F = nb.nn.functional;
  const cases: [string, number[], (x: nb.Tensor) => nb.Tensor][] = [
    ["maxPool2d 2", [2, 3, 9, 7], (x) => F.maxPool2d(x, 2)],
    ["maxPool2d 3 stride 2 pad 1 ceil", [1, 2, 10, 9], (x) => F.maxPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true })],
    ["maxPool2d dilation 2 (overlapping)", [2, 2, 11, 12], (x) => F.maxPool2d(x, 3, { stride: 1, dilation: 2 })],
    ["maxPool1d 3 stride 2", [2, 3, 17], (x) => F.maxPool1d(x, 3, { stride: 2 })],
    ["maxPool3d 2", [1, 2, 5, 6, 7], (x) => F.maxPool3d(x, 2)],
    ["avgPool2d 3 stride 2 pad 1", [2, 3, 9, 11], (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1 })],
    ["avgPool2d ceil, padding not counted", [1, 2, 10, 7], (x) => F.avgPool2d(x, 3, { stride: 2, padding: 1, ceilMode: true, countIncludePad: false })],
    ["avgPool2d divisorOverride", [2, 1, 8, 8], (x) => F.avgPool2d(x, 2, { divisorOverride: 3 })],
    ["avgPool1d 4 stride 3", [3, 2, 23], (x) => F.avgPool1d(x, 4, { stride: 3 })],
  ];
  for (const [label, shape, fn] of cases) {
    const r = onBoth([shape], 21, fn, ["maxPool", "maxPoolBackward", "avgPool", "avgPoolBackward"]);
    identical(label, r.cpu, r.wasm);
    assert.equal(r.fallbacks, 0, `${label}: ran in wasm`);
  }
});

test("maxPool's values and indices, with and without the fused relu (afterRelu), NaN and −0 windows, match cpu exactly", { skip: skipWasm }, () => {
  const values = [1, Number.NaN, -3, 4, -Infinity, -Infinity, -2, -5, 0, 7, Number.NaN, 2, -1, -0, -6, 3, -0, -2, 5, -1];
  const geometries = [
    { kernel: [2, 2], stride: [2, 2], padBefore: [0, 0], padAfter: [0, 0], dilation: [1, 1] }, // the unrolled 2×2 path
    { kernel: [3, 3], stride: [2, 2], padBefore: [1, 1], padAfter: [1, 1], dilation: [1, 1] },
    { kernel: [2, 2], stride: [2, 2], padBefore: [0, 0], padAfter: [1, 1], dilation: [1, 1] }, // ceil mode: a window hangs out
  ];
  const outSize = (L: number, p: (typeof geometries)[0], i: number) => Math.floor((L + p.padBefore[i] + p.padAfter[i] - p.kernel[i]) / p.stride[i]) + 1;
  for (const p of geometries) {
    for (const afterRelu of [false, true]) {
      const results = ["cpu", "wasm"].map((device) => {
        const x = nb.tensor(values, { device }).reshape([1, 1, 4, 5]);
        const shape = [1, 1, outSize(4, p, 0), outSize(5, p, 1)];
        const out = nb.empty(shape, { device }), idx = nb.empty(shape, { device, dtype: "int32" });
        const calls = hostCalls(["maxPool"], () => x.backend.maxPool(x.raw(), out.raw(), idx.raw(), p, afterRelu));
        if (device === "wasm") assert.equal(calls.maxPool, 0, "ran in wasm");
        return [Array.from(out.dataSync()), Array.from(idx.dataSync())];
      });
      assert.deepEqual(results[1], results[0], `${JSON.stringify(p.kernel)} pad ${p.padBefore} afterRelu ${afterRelu}`);
    }
  }
});

test("elementwise ops: same shape, scalar and row broadcast, odd lengths, NaN and −0 — identical to cpu", { skip: skipWasm }, () => {
  const special = [Number.NaN, -0, 0, Infinity, -Infinity, 1e-40, -2.5, 3];
  const cases: [string, number[][], (a: nb.Tensor, b: nb.Tensor) => nb.Tensor][] = [
    ["add", [[1001], [1001]], (a, b) => a.add(b)],
    ["sub scalar", [[7, 13], [1]], (a, b) => a.sub(b)],
    ["mul row", [[9, 17], [17]], (a, b) => a.mul(b)],
    ["div", [[5, 3, 11], [5, 3, 11]], (a, b) => a.div(b)],
    ["maximum row on the left", [[33], [4, 33]], (a, b) => nb.maximum(a, b)],
    ["minimum", [[2, 65], [2, 65]], (a, b) => nb.minimum(a, b)],
    ["relu and its gradient", [[3, 101], [1]], (a) => nb.nn.functional.relu(a)],
    ["neg abs sqrt square", [[257], [1]], (a) => a.neg().abs().sqrt().add(a.square())],
  ];
  for (const [label, shapes, fn] of cases) {
    const r = onBoth(shapes, 31, fn);
    identical(label, r.cpu, r.wasm);
    // The forward ran in wasm (gradients may use comparisons, which write bool and stay on cpu).
    const inputs = shapes.map((s, i) => data(s, 31 + i, "wasm"));
    const calls = hostCalls(["binary", "unary"], () => fn(inputs[0], inputs[1]));
    assert.deepEqual(calls, { binary: 0, unary: 0 }, `${label}: ran in wasm`);
  }
  for (const device of ["cpu", "wasm"]) {
    const a = nb.tensor(special, { device }), b = nb.tensor([...special].reverse(), { device });
    const got = [a.add(b), a.mul(b), a.div(b), nb.maximum(a, b), nb.minimum(a, b), nb.nn.functional.relu(a), a.neg(), a.abs(), a.sqrt()].map((t) => Array.from(t.dataSync()));
    if (device === "cpu") (globalThis as { __special?: number[][] }).__special = got;
    else assert.deepEqual(got, (globalThis as { __special?: number[][] }).__special);
  }
});

test("kernels outside the overridden set, other dtypes and strided operands fall back to cpu with its results", { skip: skipWasm }, () => {
  for (const device of ["cpu", "wasm"]) assert.equal(nb.ones([1], { device }).backend.name, device);
  const run = (device: string) => {
    const a = nb.arange(0, 24, 1, { device }).reshape([4, 6]);
    const f64 = nb.randn([5, 4], { dtype: "float64", generator: new nb.Generator(2), device });
    return [
      Array.from(a.transpose(0, 1).add(1).dataSync()),
      Array.from(f64.matmul(f64.transpose(0, 1)).dataSync()),
      Array.from(a.float().exp().sum(1).dataSync()),
      Array.from(nb.tensor([3, 1, 2], { dtype: "int32", device }).mul(nb.tensor([2, 2, 2], { dtype: "int32", device })).dataSync()),
    ];
  };
  assert.deepEqual(run("wasm"), run("cpu"));
});

test("empty operands: K = 0 matmul gives zeros, empty batches and outputs work as on cpu", { skip: skipWasm }, () => {
  const run = (device: string) => [
    nb.zeros([3, 0], { device }).matmul(nb.zeros([0, 4], { device })),
    nb.zeros([0, 5], { device }).matmul(nb.ones([5, 2], { device })),
    nb.nn.functional.conv2d(nb.zeros([0, 2, 5, 5], { device }), nb.ones([3, 2, 3, 3], { device })),
    nb.nn.functional.maxPool2d(nb.zeros([0, 2, 4, 4], { device }), 2),
    nb.zeros([0], { device }).add(nb.zeros([0], { device })),
  ].map((t) => ({ shape: t.shape, values: Array.from(t.dataSync()) }));
  assert.deepEqual(run("wasm"), run("cpu"));
  assert.deepEqual(run("wasm")[0].values, new Array(12).fill(0));
});

test("a call whose operands cannot fit in the WebAssembly memory throws naming the op", { skip: skipWasm }, async () => {
  const { instantiateWasm } = await import("../../src/backend/wasm/module.js");
  const { Operands } = await import("../../src/backend/wasm/operands.js");
  const ops = new Operands(instantiateWasm(), "matmul");
  assert.throws(() => ops.room(5 * 2 ** 30), /^Error: wasm matmul: out of memory: 5368709120 more bytes do not fit in the WebAssembly memory \(4 GiB at most\)$/);
  assert.throws(() => ops.check(1), /wasm matmul: out of memory: the kernel's scratch buffers do not fit/);
});
