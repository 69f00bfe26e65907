// Bad input on the cuda backend: mixing devices is a clear error naming both; a kernel handed a
// view that reaches past its device buffer, a host array or a freed buffer refuses before
// touching memory, naming the kernel and operand; an index that the device finds out of range is
// reported (kernel, value, dim) at the next read; errors keep the cpu backend's messages where the
// call runs on the host; and after each the backend keeps working. Skips without a GPU.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import * as nb from "../../src/index.js";
import { cuda, skipCuda } from "./cuda-helpers.js";

const deviceView = (data: Float32Array | Int32Array, shape: number[]): View => ({
  buf: cuda().fromHost(data.slice()),
  dtype: data instanceof Int32Array ? "int32" : "float32",
  shape,
  strides: shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)),
  offset: 0,
});

test("mixing devices is an error naming both devices and the fix; moving first works", { skip: skipCuda }, () => {
  const a = nb.tensor([1, 2, 3], { device: "cpu" }).to("cuda");
  const b = nb.tensor([10, 20, 30], { device: "cpu" });
  assert.throws(() => a.add(b), /^Error: add: tensors are on different devices \(cuda and cpu\); move them with t\.to\("cuda"\) first$/);
  assert.throws(() => nb.matmul(b.reshape([1, 3]), a.reshape([3, 1])), /matmul: tensors are on different devices/);
  assert.deepEqual(a.add(b.to("cuda")).to("cpu").toArray(), [11, 22, 33]);
});

test("tensors move to the device and back with their values and dtypes; reads synchronise; gradients flow through to()", { skip: skipCuda }, async () => {
  for (const [data, dtype] of [[[1.5, -2, 3], "float32"], [[1e-300, 2, 3], "float64"], [[7, -8, 2 ** 31 - 1], "int32"], [[true, false, true], "bool"]] as const) {
    const t = nb.tensor(data as unknown as number[], { dtype, device: "cpu" });
    const d = t.to("cuda");
    assert.equal(d.device, "cuda");
    assert.equal(d.dtype, dtype);
    assert.deepEqual(d.toArray(), t.toArray());
    assert.deepEqual(Array.from(await d.data()), Array.from(t.dataSync()));
    assert.deepEqual(d.transpose(0, 0).to("cpu").toArray(), t.toArray());
  }
  const x = nb.tensor([[1, 2], [3, 4]], { requiresGrad: true, device: "cpu" });
  x.to("cuda").mul(3).sum().backward();
  assert.equal(x.grad!.device, "cpu");
  assert.deepEqual(x.grad!.toArray(), [[3, 3], [3, 3]]);
  const model = nb.models.lenet5().to("cuda");
  assert.ok(model.parameters().every((p) => p.device === "cuda"));
});

test("a kernel refuses views past their device buffer, host arrays and freed buffers, naming kernel and operand", { skip: skipCuda }, () => {
  const b = cuda();
  const x = deviceView(new Float32Array(10), [10]);
  const out = deviceView(new Float32Array(100), [100]);
  assert.throws(() => b.unary("relu", { ...x, shape: [100], strides: [1] }, out), (e: Error & { code?: string }) => {
    assert.equal(e.code, "NABLA_CUDA_ARGUMENT");
    assert.equal(e.message, "unary: cuda backend: x (float32, shape [100], strides [1], offset 0) reaches elements 0..99 but its buffer holds 10 (40 bytes)");
    return true;
  });
  assert.throws(() => b.binary("add", x, { ...x, offset: 3 }, { ...out, shape: [10], strides: [1] }), /binary: cuda backend: b \(float32, shape \[10\], strides \[1\], offset 3\) reaches elements 3\.\.12 but its buffer holds 10/);
  assert.throws(() => b.unary("relu", { ...x, buf: new Float32Array(10) }, { ...out, shape: [10] }), /x's buffer is not a cuda device buffer/);
  b.free(x.buf);
  assert.throws(() => b.unary("relu", x, { ...out, shape: [10] }), /unary: cuda backend: x's buffer has been freed/);
  // The backend keeps working afterwards.
  assert.equal(nb.ones([5], { device: "cuda" }).sum().item(), 5);
});

test("an out-of-range index found on the device is reported at the next read; the public ops check before", { skip: skipCuda }, () => {
  const b = cuda();
  const table = deviceView(Float32Array.from({ length: 20 }, (_, i) => i), [5, 4]);
  const index = deviceView(Int32Array.of(1, 99, 2), [3]);
  const out = deviceView(new Float32Array(12), [3, 4]);
  b.indexSelect(table, 0, index, out);
  assert.throws(() => b.readSync(out.buf, "float32", 0, 12),
    /^Error: indexSelect: index 99 is out of range for dimension 0 of size 5 \(found on the device by an earlier call and reported at read; the elements it named were skipped\)$/);
  // Reported once: the rows with valid indices were written, and reads work again.
  assert.deepEqual(Array.from(b.readSync(out.buf, "float32", 0, 12)), [4, 5, 6, 7, 0, 0, 0, 0, 8, 9, 10, 11]);
  const gi = deviceView(Int32Array.of(0, -1), [2, 1]);
  b.gather(table, 1, gi, deviceView(new Float32Array(2), [2, 1]));
  assert.throws(() => nb.cuda.synchronize(), /gather: index -1 is out of range for dimension 1 of size 4/);
  // Through the public API the index is checked before the kernel runs, with the cpu backend's message.
  const t = nb.arange(0, 10, 1, { device: "cuda" }).reshape([5, 2]);
  assert.throws(() => nb.indexSelect(t, 0, nb.tensor([0, 7], { dtype: "int32", device: "cuda" })), /indexSelect: index 7 is out of range for dimension 0 of size 5/);
});

test("calls that run the cpu kernel on host copies keep its messages (empty max, bad shapes)", { skip: skipCuda }, () => {
  const b = cuda();
  const empty = deviceView(new Float32Array(0), [0]);
  assert.throws(() => b.reduce("max", empty, [0], deviceView(new Float32Array(1), [1])), /^RangeError: max: cannot reduce over a zero-size dimension \(the result has no identity\)$/);
  assert.throws(() => b.argReduce("argmax", { ...empty, shape: [2, 0], strides: [0, 1] }, 1, deviceView(new Int32Array(2), [2, 1])), /argmax: cannot take argmax over a zero-size dimension 1/);
});
