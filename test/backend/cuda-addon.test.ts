// The cuda addon's own argument checks, which run before any CUDA call and so can be tested
// wherever the addon is built, GPU or not: every view is checked against its buffer's byte size,
// foreign or freed buffers are refused, the call description must match what the kernel reads,
// and every refusal is a JavaScript Error naming the kernel. Zero-byte buffers are used because
// they need no device. Also: the addon's op tables are those of the TypeScript side.

import { test } from "node:test";
import assert from "node:assert/strict";
import { loadCudaAddon, type CudaAddon } from "../../src/backend/cuda/addon.js";
import { BINARY_CODES, PARAM_CODES, REDUCE_CODES, UNARY, UNARY_CODES } from "../../src/backend/addon-abi/codes.js";
import { skipAddon } from "./cuda-helpers.js";

const addon = (): CudaAddon => {
  const r = loadCudaAddon();
  if (!r.addon) throw new Error(r.reason);
  return r.addon;
};

/** meta for (op, x view on slot 1, out view on slot 2) as src/backend/native/encode.ts writes it. */
function unaryMeta(op: number, x: { dtype?: number; offset?: number; shape: number[]; strides: number[] }, out: { shape: number[]; strides: number[] }, extra: number[] = []): Float64Array {
  const view = (v: { dtype?: number; offset?: number; shape: number[]; strides: number[] }, slot: number) => [v.dtype ?? 0, slot, v.offset ?? 0, v.shape.length, ...v.shape, ...v.strides];
  const body = [op, ...view(x, 1), ...view(out, 2), ...extra];
  return Float64Array.from([body.length + 1, ...body]);
}

test("the addon reports the op tables of the TypeScript side, its build and the device count", { skip: skipAddon }, () => {
  const info = addon().info();
  assert.deepEqual(info.unaryOps, UNARY_CODES);
  assert.deepEqual(info.paramOps, PARAM_CODES);
  assert.deepEqual(info.binaryOps, BINARY_CODES);
  assert.deepEqual(info.reduceOps, REDUCE_CODES);
  assert.equal(typeof info.deviceCount, "number");
  assert.match(info.arch, /^sm_\d+/);
  assert.equal(typeof info.cublas, "boolean");
  assert.equal(typeof info.cudnn, "boolean");
  if (info.deviceCount === 0) assert.match(info.deviceError, /cudaGetDeviceCount failed|^$/);
});

test("views reaching past their buffer, foreign and freed buffers are refused before any kernel runs", { skip: skipAddon }, () => {
  const a = addon();
  const empty = a.alloc(0), other = a.alloc(0);
  assert.equal(a.bufferBytes(empty), 0);
  const relu = UNARY.relu;
  // Two float32 elements on a zero-byte buffer.
  assert.throws(() => a.unary(unaryMeta(relu, { shape: [2], strides: [1] }, { shape: [2], strides: [1] }), empty, other),
    (e: Error & { code?: string }) => {
      assert.equal(e.code, "NABLA_CUDA_ARGUMENT");
      assert.match(e.message, /^unary: cuda backend: x \(float32, shape \[2\], strides \[1\], offset 0\) reaches elements 0\.\.1 but its buffer holds 0 \(0 bytes\)$/);
      return true;
    });
  // A negative stride reaching below element 0; an empty view past the end.
  assert.throws(() => a.unary(unaryMeta(relu, { shape: [3], strides: [-1], offset: 1 }, { shape: [3], strides: [1] }), empty, other), /reaches elements -1\.\.1/);
  assert.throws(() => a.unary(unaryMeta(relu, { shape: [0], strides: [1], offset: 5 }, { shape: [0], strides: [1] }), empty, other),
    /x's offset 5 is past its buffer of 0 elements/);
  // Not a device buffer: a typed array (a cpu tensor's storage) or a plain object.
  assert.throws(() => a.unary(unaryMeta(relu, { shape: [0], strides: [1] }, { shape: [0], strides: [1] }), new Float32Array(4) as never, other),
    /unary: cuda backend: x's buffer is not a cuda device buffer \(a tensor of another device passed to a cuda kernel\?\)/);
  assert.throws(() => a.unary(unaryMeta(relu, { shape: [0], strides: [1] }, { shape: [0], strides: [1] }), empty, {} as never), /out's buffer is not a cuda device buffer/);
  // Freed buffers (freeing twice is harmless).
  const freed = a.alloc(0);
  a.free(freed);
  a.free(freed);
  assert.equal(a.bufferBytes(freed), -1);
  assert.throws(() => a.unary(unaryMeta(relu, { shape: [0], strides: [1] }, { shape: [0], strides: [1] }), freed, other), /x's buffer has been freed/);
  assert.throws(() => a.read(freed, 0, 0, 0), /read: cuda backend: the buffer has been freed/);
  // Reads and writes outside the buffer.
  assert.throws(() => a.read(empty, 0, 0, 1), /read: cuda backend: elements 0\.\.1 are outside a buffer of 0 float32 elements/);
  assert.throws(() => a.write(empty, 2, new Float64Array(1)), /write: cuda backend: elements 2\.\.3 are outside a buffer of 0 float64 elements/);
  assert.throws(() => a.read(empty, 9, 0, 0), /read: cuda backend: unknown dtype code 9/);
});

test("malformed call descriptions, unknown ops and shape mismatches are refused with the kernel's name", { skip: skipAddon }, () => {
  const a = addon();
  const b1 = a.alloc(0), b2 = a.alloc(0);
  const v0 = { shape: [0], strides: [1] };
  assert.throws(() => a.unary(Float64Array.of(5), b1, b2), /^Error: unary: cuda backend: malformed call description$/);
  assert.throws(() => a.unary(new Float32Array(3) as never, b1, b2), /the call description must be a Float64Array/);
  assert.throws(() => a.unary(unaryMeta(UNARY_CODES.length, v0, v0), b1, b2), /unary: cuda backend: op must be an integer in \[0, 29\], got 30/);
  assert.throws(() => a.unary(unaryMeta(0, v0, v0, [7]), b1, b2), /call description has 1 unread numbers \(TypeScript\/C\+\+ mismatch\)/);
  assert.throws(() => a.unary(unaryMeta(0, { shape: [0], strides: [1] }, { shape: [0, 2], strides: [2, 1] }), b1, b2),
    /unary: cuda backend: x \[0\] and out \[0, 2\] must have the same shape/);
  assert.throws(() => a.unary(unaryMeta(0, { dtype: 7, shape: [0], strides: [1] }, v0), b1, b2), /x's dtype must be an integer in \[0, 3\], got 7/);
  // A view naming a buffer slot that was not passed.
  assert.throws(() => a.unary(unaryMeta(0, v0, v0), b1), /out names buffer 2 but only 1 were passed/);
  // Kernel-specific rules: where's condition must be bool, matmul's operands a matrix product.
  const meta = (views: [number, number[]][]) => {
    const body = views.flatMap(([dtype, shape], i) => [dtype, i + 1, 0, shape.length, ...shape, ...shape.map(() => 1)]);
    return Float64Array.from([body.length + 1, ...body]);
  };
  assert.throws(() => a.where(meta([[0, [0]], [0, [0]], [0, [0]], [0, [0]]]), b1, b1, b1, b1), /where: cuda backend: cond must be bool, got float32/);
  assert.throws(() => a.matmul(meta([[0, [0, 3]], [0, [4, 0]], [0, [0, 0]]]), b1, b1, b1),
    /matmul: cuda backend: shapes \[0, 3\] · \[4, 0\] → \[0, 0\] do not form a \(batched, broadcast\) matrix product/);
  const reduceBody = [0, 1, 5, 0, 1, 0, 1, 0, 1, 0, 2, 0, 1, 0, 1]; // sum over axis 5 of x [0] into out [0]
  assert.throws(() => a.reduce(Float64Array.from([reduceBody.length + 1, ...reduceBody]), b1, b2), /reduce: cuda backend: axis 5 is out of range for x of rank 1/);
});
