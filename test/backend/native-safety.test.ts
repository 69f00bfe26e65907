// Every native entry point validates its arguments before touching memory: views that reach past
// their typed array, wrong typed-array types, missing or malformed arguments and inconsistent
// shapes all throw a JavaScript error that names the kernel — never a crash, never a write. After
// all the bad calls the process is alive and the kernels still compute correctly.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import { loadAddon, type NativeAddon, type NativeKernel } from "../../src/backend/native/addon.js";
import { begin, end, num, nums, view } from "../../src/backend/addon-abi/encode.js";
import { UNARY, BINARY, PARAM, REDUCE } from "../../src/backend/addon-abi/codes.js";
import type { TypedArray } from "../../src/core/dtype.js";
import * as nb from "../../src/index.js";
import { Rng, compareKernel, native, randomView, skipNative } from "./native-helpers.js";

const addon = (): NativeAddon => {
  const r = loadAddon();
  if (!r.addon) throw new Error(r.reason);
  return r.addon;
};

const f32 = (shape: number[]): View => {
  const n = shape.reduce((a, b) => a * b, 1);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1));
  return { buf: new Float32Array(n).fill(1), dtype: "float32", shape, strides, offset: 0 };
};
const i32 = (shape: number[]): View => ({ ...f32(shape), buf: new Int32Array(shape.reduce((a, b) => a * b, 1)), dtype: "int32" });
const bool = (shape: number[]): View => ({ ...f32(shape), buf: new Uint8Array(shape.reduce((a, b) => a * b, 1)), dtype: "bool" });
const bufs = (views: View[]): TypedArray[] => views.map((v) => v.buf as TypedArray);

/** A valid call of one kernel: its name, its views, and how it is described (numbers around the views). */
interface Call {
  kernel: keyof NativeAddon;
  views: View[];
  describe: (views: View[]) => void;
}

const conv2 = { groups: 1, nd: 2 };
const convNums = (): void => {
  num(conv2.nd);
  num(conv2.groups);
  for (let i = 0; i < 2; i++) nums([3, 1, 0, 0, 1]);
};
const poolNums = (): void => {
  num(2);
  for (let i = 0; i < 2; i++) nums([2, 2, 0, 0, 1]);
};

const CALLS: Call[] = [
  { kernel: "copy", views: [f32([3, 4]), f32([3, 4])], describe: ([x, o]) => { view(x, 1); view(o, 2); } },
  { kernel: "fill", views: [f32([3, 4])], describe: ([o]) => { view(o, 1); num(2); } },
  { kernel: "unary", views: [f32([3, 4]), f32([3, 4])], describe: ([x, o]) => { num(UNARY.exp); view(x, 1); view(o, 2); } },
  { kernel: "paramUnary", views: [f32([5]), f32([5])], describe: ([x, o]) => { num(PARAM.clamp); num(0); num(1); view(x, 1); view(o, 2); } },
  { kernel: "binary", views: [f32([2, 3]), f32([2, 3]), f32([2, 3])], describe: ([a, b, o]) => { num(BINARY.add); view(a, 1); view(b, 2); view(o, 3); } },
  { kernel: "where", views: [bool([4]), f32([4]), f32([4]), f32([4])], describe: ([c, a, b, o]) => { view(c, 1); view(a, 2); view(b, 3); view(o, 4); } },
  { kernel: "reduce", views: [f32([3, 4]), f32([1, 4])], describe: ([x, o]) => { num(REDUCE.sum); num(1); num(0); view(x, 1); view(o, 2); } },
  { kernel: "matmul", views: [f32([3, 4]), f32([4, 5]), f32([3, 5])], describe: ([a, b, o]) => { view(a, 1); view(b, 2); view(o, 3); } },
  // conv and convBackwardFilter with their optional per-channel operand (bias, its gradient).
  {
    kernel: "conv", views: [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([4])],
    describe: ([x, w, o, b]) => { convNums(); view(x, 1); view(w, 2); view(o, 3); num(1); view(b, 4); },
  },
  // The fused conv → relu → 2×2 max pool: pooled output and its indices in place of the conv's output.
  {
    kernel: "convReluMaxPool", views: [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 2, 2]), f32([4]), i32([2, 4, 2, 2])],
    describe: ([x, w, o, b, i]) => { convNums(); view(x, 1); view(w, 2); view(o, 3); num(1); view(b, 4); view(i, 5); },
  },
  { kernel: "convBackwardData", views: [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4])], describe: ([gx, w, gy]) => { convNums(); view(gx, 1); view(w, 2); view(gy, 3); } },
  {
    kernel: "convBackwardFilter", views: [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([4])],
    describe: ([x, gw, gy, gb]) => { convNums(); view(x, 1); view(gw, 2); view(gy, 3); num(1); view(gb, 4); },
  },
  { kernel: "pool", views: [f32([2, 3, 6, 6]), f32([2, 3, 3, 3]), i32([2, 3, 3, 3])], describe: ([x, o, i]) => { num(0); num(1); poolNums(); view(x, 1); view(o, 2); view(i, 3); } },
  { kernel: "poolBackward", views: [f32([2, 3, 3, 3]), f32([2, 3, 6, 6])], describe: ([gy, gx]) => { num(1); poolNums(); num(1); num(0); view(gy, 1); view(gx, 2); } },
  { kernel: "maxPoolBackward", views: [f32([2, 3, 3, 3]), i32([2, 3, 3, 3]), f32([2, 3, 6, 6])], describe: ([gy, i, gx]) => { num(2); view(gy, 1); view(i, 2); view(gx, 3); } },
  { kernel: "softmax", views: [f32([3, 4]), f32([3, 4])], describe: ([x, o]) => { num(1); num(0); view(x, 1); view(o, 2); } },
  { kernel: "softmaxBackward", views: [f32([3, 4]), f32([3, 4]), f32([3, 4])], describe: ([y, g, o]) => { num(1); num(1); view(y, 1); view(g, 2); view(o, 3); } },
  { kernel: "moments", views: [f32([3, 4]), f32([3]), f32([3])], describe: ([x, m, r]) => { nums([3, 4, 1e-5]); view(x, 1); view(m, 2); view(r, 3); } },
  { kernel: "channelMoments", views: [f32([2, 3, 4]), f32([3]), f32([3])], describe: ([x, m, v]) => { view(x, 1); view(m, 2); view(v, 3); } },
  {
    kernel: "batchNormApply", views: [f32([2, 3, 4]), f32([3]), f32([3]), f32([3]), f32([3]), f32([2, 3, 4])],
    describe: ([x, m, r, w, b, o]) => { view(x, 1); view(m, 2); view(r, 3); num(1); view(w, 4); num(1); view(b, 5); view(o, 6); },
  },
  {
    kernel: "batchNormBackward", views: [f32([2, 3, 4]), f32([2, 3, 4]), f32([3]), f32([3]), f32([3]), f32([2, 3, 4]), f32([3]), f32([3])],
    describe: ([g, x, m, r, w, gx, gw, gb]) => { view(g, 1); view(x, 2); view(m, 3); view(r, 4); num(1); view(w, 5); view(gx, 6); num(1); view(gw, 7); num(1); view(gb, 8); },
  },
  { kernel: "random", views: [f32([9])], describe: ([o]) => { num(1); nums([1, 0, 5, 0]); view(o, 1); } },
  {
    kernel: "adamStep", views: [f32([5]), f32([5]), f32([5]), f32([5])],
    describe: ([p, g, m, v]) => { nums([0.9, 0.1, 0.999, 0.001, 1e-8, 0, 1, 1e-3, 1]); nums([0, 0, 0]); view(p, 1); view(g, 2); view(m, 3); view(v, 4); },
  },
  {
    kernel: "sgdStep", views: [f32([5]), f32([5]), f32([5])],
    describe: ([p, g, b]) => { nums([-0.1, 0.9, 1, 0]); nums([0, 0, 0, 1]); view(p, 1); view(g, 2); view(b, 3); },
  },
  {
    kernel: "crossEntropy", views: [f32([3, 4]), i32([3]), f32([3]), f32([])],
    describe: ([x, t, l, o]) => { num(-100); num(2); view(x, 1); view(t, 2); view(l, 3); view(o, 4); },
  },
  {
    kernel: "crossEntropyBackward", views: [f32([3, 4]), i32([3]), f32([3]), f32([]), f32([3, 4])],
    describe: ([x, t, l, g, gx]) => { num(-100); num(2); view(x, 1); view(t, 2); view(l, 3); view(g, 4); view(gx, 5); },
  },
  { kernel: "argReduce", views: [f32([3, 4]), i32([3, 1])], describe: ([x, o]) => { num(0); num(1); view(x, 1); view(o, 2); } },
  { kernel: "indexSelect", views: [f32([4, 3]), i32([2]), f32([2, 3])], describe: ([x, i, o]) => { num(0); view(x, 1); view(i, 2); view(o, 3); } },
  { kernel: "indexAdd", views: [f32([4, 3]), i32([2]), f32([2, 3])], describe: ([o, i, s]) => { num(0); view(o, 1); view(i, 2); view(s, 3); } },
  { kernel: "gather", views: [f32([4, 3]), i32([4, 2]), f32([4, 2])], describe: ([x, i, o]) => { num(1); view(x, 1); view(i, 2); view(o, 3); } },
  { kernel: "scatterAdd", views: [f32([4, 3]), i32([4, 2]), f32([4, 2])], describe: ([o, i, s]) => { num(1); view(o, 1); view(i, 2); view(s, 3); } },
  // Detection kernels (rois filled with 1: batch index 1 of a two-image map; argmax 0: in the plane).
  { kernel: "nms", views: [f32([3, 4]), f32([3]), i32([3])], describe: ([b, s, k]) => { num(0.5); view(b, 1); view(s, 2); view(k, 3); } },
  { kernel: "roiAlign", views: [f32([2, 3, 5, 4]), f32([2, 5]), f32([2, 3, 2, 2])], describe: ([x, r, o]) => { nums([2, 2, 1, -1, 0]); view(x, 1); view(r, 2); view(o, 3); } },
  { kernel: "roiAlignBackward", views: [f32([2, 3, 2, 2]), f32([2, 5]), f32([2, 3, 5, 4])], describe: ([g, r, o]) => { nums([2, 2, 1, 2, 1]); view(g, 1); view(r, 2); view(o, 3); } },
  { kernel: "roiPool", views: [f32([2, 3, 5, 4]), f32([2, 5]), f32([2, 3, 2, 2]), i32([2, 3, 2, 2])], describe: ([x, r, o, a]) => { nums([2, 2, 0.5]); view(x, 1); view(r, 2); view(o, 3); view(a, 4); } },
  { kernel: "roiPoolBackward", views: [f32([2, 3, 2, 2]), f32([2, 5]), i32([2, 3, 2, 2]), f32([2, 3, 5, 4])], describe: ([g, r, a, o]) => { view(g, 1); view(r, 2); view(a, 3); view(o, 4); } },
];

function invoke(call: Call, views = call.views, buffers?: unknown[]): void {
  begin();
  call.describe(views);
  const fn = addon()[call.kernel] as NativeKernel;
  fn(end(), ...((buffers ?? bufs(views)) as TypedArray[]));
}

/** The call must throw an Error naming the kernel and matching `pattern`, and leave every buffer as it was. */
function rejects(call: Call, pattern: RegExp, views: View[], buffers?: unknown[]): void {
  const before = views.map((v) => (v.buf as TypedArray).slice());
  let caught: unknown = null;
  try {
    invoke(call, views, buffers);
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof Error, `${call.kernel}: expected an error for ${pattern}`);
  assert.match(caught.message, /native backend/, call.kernel);
  assert.match(caught.message, pattern, `${call.kernel}: ${caught.message}`);
  views.forEach((v, i) => assert.deepEqual(v.buf, before[i], `${call.kernel}: buffer ${i} was written despite the error`));
}

test("every kernel accepts its valid call", { skip: skipNative }, () => {
  for (const call of CALLS) invoke(call);
});

test("a view reaching past its typed array is refused by every kernel, for every operand", { skip: skipNative }, () => {
  for (const call of CALLS) {
    call.views.forEach((v, k) => {
      // Same shape, one more element of offset: the last element falls off the end.
      const views = call.views.map((u, j) => (j === k ? { ...u, offset: u.offset + 1 } : u));
      rejects(call, /reaches elements .* but its buffer holds|offset .* is past its buffer/, views);
      // A stride that jumps past the end.
      const big = call.views.map((u, j) => (j === k && u.shape.length > 0 ? { ...u, strides: u.strides.map((s, i) => (i === 0 ? s + 1000 : s)) } : u));
      if (v.shape.length > 0 && v.shape[0] > 1) rejects(call, /reaches elements/, big);
      // A negative stride that reaches below element 0.
      const neg = call.views.map((u, j) => (j === k && u.shape.length > 0 ? { ...u, strides: u.strides.map((s, i) => (i === 0 ? -s : s)) } : u));
      if (v.shape.length > 0 && v.shape[0] > 1) rejects(call, /reaches elements -/, neg);
    });
  }
});

test("a typed array of the wrong type, a non-array or a missing buffer is refused", { skip: skipNative }, () => {
  for (const call of CALLS) {
    call.views.forEach((v, k) => {
      const wrongType = v.dtype === "float32" ? new Float64Array((v.buf as TypedArray).length) : new Float32Array((v.buf as TypedArray).length);
      const buffers: unknown[] = bufs(call.views);
      buffers[k] = wrongType;
      rejects(call, /buffer is a different typed array/, call.views, buffers);
      buffers[k] = [1, 2, 3];
      rejects(call, /not a typed array/, call.views, buffers);
    });
    rejects(call, /buffer \d+ but only \d+ were passed/, call.views, bufs(call.views).slice(0, call.views.length - 1));
  }
});

test("a malformed call description (truncated, too long, non-integers, bad op codes) is refused", { skip: skipNative }, () => {
  const copy = addon().copy;
  const x = f32([4]), o = f32([4]);
  const describe = (): Float64Array => {
    begin();
    view(x, 1);
    view(o, 2);
    return end().slice();
  };
  const good = describe();
  const truncated = good.slice();
  truncated[0] = good[0] - 2;
  assert.throws(() => copy(truncated, x.buf as Float32Array, o.buf as Float32Array), /copy: native backend: call description ended/);
  const long = new Float64Array(good.length + 1);
  long.set(good);
  long[0] = good[0] + 1;
  assert.throws(() => copy(long, x.buf as Float32Array, o.buf as Float32Array), /unread numbers/);
  const fractional = good.slice();
  fractional[5] = 2.5; // o's... x's shape[0]
  assert.throws(() => copy(fractional, x.buf as Float32Array, o.buf as Float32Array), /must be an integer/);
  assert.throws(() => copy(new Float32Array(4) as unknown as Float64Array), /Float64Array/);
  assert.throws(() => (copy as unknown as () => void)(), /call description/);
  const unary = CALLS.find((c) => c.kernel === "unary")!;
  begin();
  num(999);
  view(x, 1);
  view(o, 2);
  assert.throws(() => addon().unary(end(), x.buf as Float32Array, o.buf as Float32Array), /op must be an integer in \[0, 29\]/);
  assert.ok(unary);
});

test("shapes that do not fit together are refused with the shapes in the message", { skip: skipNative }, () => {
  const byName = (k: string): Call => CALLS.find((c) => c.kernel === k)!;
  rejects(byName("copy"), /x has shape \[3, 4\] but out has shape \[4, 3\]/, [f32([3, 4]), f32([4, 3])]);
  rejects(byName("binary"), /b has shape \[3\]/, [f32([2, 3]), f32([3]), f32([2, 3])]);
  rejects(byName("unary"), /x must be float32/, [i32([3, 4]), f32([3, 4])]);
  rejects(byName("where"), /cond must be bool/, [f32([4]), f32([4]), f32([4]), f32([4])]);
  rejects(byName("matmul"), /do not give out/, [f32([3, 4]), f32([5, 5]), f32([3, 5])]);
  rejects(byName("matmul"), /share a rank/, [f32([3, 4]), f32([4, 5]), f32([1, 3, 5])]);
  rejects(byName("reduce"), /does not match x/, [f32([3, 4]), f32([3, 1])]);
  rejects(byName("conv"), /spatial size 5 should be 4/, [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 5, 5]), f32([4])]);
  rejects(byName("conv"), /must have Cin\/groups = 2/, [f32([2, 2, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([4])]);
  rejects(byName("conv"), /must be contiguous/, [{ ...f32([2, 1, 6, 6]), strides: [36, 36, 1, 6] }, f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([4])]);
  rejects(byName("conv"), /bias must be float32 of shape \[4\], got \[3\]/, [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([3])]);
  // The fused conv → relu → pool checks the pooled shape (half the conv's) and the indices.
  rejects(byName("convReluMaxPool"), /pooled spatial size 4 should be 2/, [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([4]), i32([2, 4, 4, 4])]);
  rejects(byName("convReluMaxPool"), /indices must be a contiguous int32 view of shape \[2, 4, 2, 2\], got \[2, 4, 2, 3\]/, [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 2, 2]), f32([4]), i32([2, 4, 2, 3])]);
  rejects(byName("convReluMaxPool"), /indices must be a contiguous int32 view/, [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 2, 2]), f32([4]), f32([2, 4, 2, 2])]);
  rejects(byName("convBackwardFilter"), /expected 4-D operands/, [f32([2, 1, 36]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([4])]);
  rejects(byName("convBackwardFilter"), /gb must be float32 of shape \[4\], got \[2, 2\]/, [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), f32([2, 4, 4, 4]), f32([2, 2])]);
  const gy = f32([2, 4, 4, 4]);
  rejects(byName("convBackwardFilter"), /gb must not share memory/, [f32([2, 1, 6, 6]), f32([4, 1, 3, 3]), gy, { ...gy, shape: [4], strides: [1] }]);
  rejects(byName("pool"), /matching N, C/, [f32([2, 3, 6, 6]), f32([2, 4, 3, 3]), i32([2, 4, 3, 3])]);
  rejects(byName("pool"), /indices must be a contiguous int32 view/, [f32([2, 3, 6, 6]), f32([2, 3, 3, 3]), f32([2, 3, 3, 3])]);
  rejects(byName("softmax"), /out has shape/, [f32([3, 4]), f32([4, 3])]);
  rejects(byName("moments"), /expected rows·cols = 3·4/, [f32([3, 5]), f32([3]), f32([3])]);
  rejects(byName("channelMoments"), /mean must hold 3 values/, [f32([2, 3, 4]), f32([4]), f32([3])]);
  rejects(byName("batchNormApply"), /weight must hold 3 values/, [f32([2, 3, 4]), f32([3]), f32([3]), f32([2]), f32([3]), f32([2, 3, 4])]);
  rejects(byName("batchNormBackward"), /must have x's shape/, [f32([2, 3, 4]), f32([2, 3, 4]), f32([3]), f32([3]), f32([3]), f32([2, 3, 5]), f32([3]), f32([3])]);
  rejects(byName("adamStep"), /expAvgSq has 4 elements but param has 5/, [f32([5]), f32([5]), f32([5]), f32([4])]);
  rejects(byName("adamStep"), /grad must be contiguous/, [f32([2, 2]), { ...f32([2, 2]), strides: [1, 2] }, f32([2, 2]), f32([2, 2])]);
  const shared = f32([5]);
  rejects(byName("sgdStep"), /momentumBuffer and param must not share a buffer/, [shared, f32([5]), shared]);
  const badTarget = i32([3]);
  (badTarget.buf as Int32Array)[1] = 4;
  rejects(byName("crossEntropy"), /target 4 at position 1 is out of range for 4 classes/, [f32([3, 4]), badTarget, f32([3]), f32([])]);
  rejects(byName("crossEntropy"), /out must be float32 with one element/, [f32([3, 4]), i32([3]), f32([3]), f32([3])]);
  rejects(byName("crossEntropy"), /target must be int32 of shape \[3\]/, [f32([3, 4]), i32([2]), f32([3]), f32([])]);
  rejects(byName("crossEntropyBackward"), /gx must be contiguous float32 of the logits' shape/, [f32([3, 4]), i32([3]), f32([3]), f32([]), f32([3, 5])]);
  // maxPoolBackward reads every index before writing: one bad index and gx stays as it was.
  const idx = i32([2, 3, 3, 3]);
  (idx.buf as Int32Array)[40] = 36;
  rejects(byName("maxPoolBackward"), /index 36 at position 40 is outside a plane of 36 elements/, [f32([2, 3, 3, 3]), idx, f32([2, 3, 6, 6])]);
});

/** An int32 index of `shape` holding `values` (the rest zero). */
const indexOf = (shape: number[], values: Record<number, number>): View => {
  const v = i32(shape);
  for (const [at, value] of Object.entries(values)) (v.buf as Int32Array)[Number(at)] = value;
  return v;
};

test("index kernels check every index value before writing: out-of-range values name the kernel, the index and the size", { skip: skipNative }, () => {
  const byName = (k: string): Call => CALLS.find((c) => c.kernel === k)!;
  // The bad value comes last, after valid ones: nothing at all may be written.
  rejects(byName("indexSelect"), /indexSelect: native backend: index 4 is out of range for dimension 0 of size 4/, [f32([4, 3]), indexOf([2], { 1: 4 }), f32([2, 3])]);
  rejects(byName("indexSelect"), /index -1 is out of range for dimension 0 of size 4/, [f32([4, 3]), indexOf([2], { 1: -1 }), f32([2, 3])]);
  rejects(byName("indexAdd"), /indexAdd: native backend: index 9 is out of range for dimension 0 of size 4/, [f32([4, 3]), indexOf([2], { 1: 9 }), f32([2, 3])]);
  rejects(byName("gather"), /gather: native backend: index 3 is out of range for dimension 1 of size 3/, [f32([4, 3]), indexOf([4, 2], { 7: 3 }), f32([4, 2])]);
  rejects(byName("scatterAdd"), /scatterAdd: native backend: index -2147483648 is out of range for dimension 1 of size 3/, [f32([4, 3]), indexOf([4, 2], { 7: -2147483648 }), f32([4, 2])]);
  // An index with zero strides repeats one bad value everywhere; an empty axis has no valid value.
  const broadcastBad: View = { ...indexOf([1], { 0: 5 }), shape: [4, 2], strides: [0, 0] };
  rejects(byName("scatterAdd"), /index 5 is out of range/, [f32([4, 3]), broadcastBad, f32([4, 2])]);
  rejects(byName("gather"), /index 0 is out of range for dimension 1 of size 0/, [f32([4, 0]), i32([4, 1]), f32([4, 1])]);
});

test("index kernels and argReduce refuse mismatched shapes, ranks, dtypes and axes", { skip: skipNative }, () => {
  const byName = (k: string): Call => CALLS.find((c) => c.kernel === k)!;
  rejects(byName("argReduce"), /out shape \[3, 4\] does not match x \[3, 4\] reduced over axis 1/, [f32([3, 4]), i32([3, 4])]);
  rejects(byName("argReduce"), /out must be int32/, [f32([3, 4]), f32([3, 1])]);
  rejects(byName("argReduce"), /cannot take argmax over a zero-size dimension 1/, [f32([3, 0]), i32([3, 1])]);
  rejects(byName("argReduce"), /axis 1 is out of range for x of rank 1/, [f32([3]), i32([3])]);
  rejects(byName("indexSelect"), /out shape \[3, 3\] does not match \[4, 3\] with dimension 0 of size 2/, [f32([4, 3]), i32([2]), f32([3, 3])]);
  rejects(byName("indexSelect"), /index must be a 0-d or 1-d view, got 2 dimensions/, [f32([4, 3]), i32([2, 1]), f32([2, 3])]);
  rejects(byName("indexSelect"), /index must be int32/, [f32([4, 3]), f32([2]), f32([2, 3])]);
  rejects(byName("indexSelect"), /out must have x's dtype/, [f32([4, 3]), i32([2]), i32([2, 3])]);
  rejects(byName("indexSelect"), /axis 0 is out of range for a view with 0 dimension/, [f32([]), i32([1]), f32([])]);
  rejects(byName("indexAdd"), /src shape \[2, 4\] does not match \[4, 3\] with dimension 0 of size 2/, [f32([4, 3]), i32([2]), f32([2, 4])]);
  rejects(byName("indexAdd"), /out and src must share a dtype/, [f32([4, 3]), i32([2]), i32([2, 3])]);
  rejects(byName("indexAdd"), /bool runs on the cpu kernel/, [bool([4, 3]), i32([2]), bool([2, 3])]);
  rejects(byName("gather"), /index \[4, 2\] does not fit the indexed view \[3, 3\] \(dimension 1 is indexed\) and out \[4, 2\]/, [f32([3, 3]), i32([4, 2]), f32([4, 2])]);
  rejects(byName("gather"), /must have the rank of the indexed view/, [f32([4, 3]), i32([8]), f32([8])]);
  rejects(byName("gather"), /index \[4, 2\] does not fit .* and out \[4, 1\]/, [f32([4, 3]), i32([4, 2]), f32([4, 1])]);
  rejects(byName("scatterAdd"), /index \[4, 2\] does not fit .* and src \[4, 1\]/, [f32([4, 3]), i32([4, 2]), f32([4, 1])]);
  rejects(byName("scatterAdd"), /out and src must share a dtype/, [f32([4, 3]), i32([4, 2]), i32([4, 2])]);
  // out overlapping the index it reads is refused (the backend hands such calls to the cpu kernel).
  const shared = new Int32Array(16);
  const idx: View = { buf: shared, dtype: "int32", shape: [4, 2], strides: [2, 1], offset: 0 };
  const out: View = { buf: shared, dtype: "int32", shape: [4, 2], strides: [2, 1], offset: 4 };
  rejects(byName("gather"), /out shares memory with index/, [i32([4, 3]), idx, out]);
  // int32 binary and reduce take what cpu computes in integers only.
  rejects(byName("binary"), /int32 arithmetic writes int32/, [i32([2, 3]), i32([2, 3]), f32([2, 3])]);
  const div: Call = { ...byName("binary"), describe: ([a, b, o]) => { num(BINARY.div); view(a, 1); view(b, 2); view(o, 3); } };
  rejects(div, /div, pow and atan2 of int32 operands run on the cpu kernel/, [i32([2, 3]), i32([2, 3]), i32([2, 3])]);
  const prod: Call = { ...byName("reduce"), describe: ([x, o]) => { num(REDUCE.prod); num(1); num(0); view(x, 1); view(o, 2); } };
  rejects(prod, /float32, or int32 for sum, max and min/, [i32([3, 4]), i32([1, 4])]);
});

test("through the backend object: a view bigger than its buffer throws, and the kernels still work afterwards", { skip: skipNative }, () => {
  const b = native();
  const small = { ...f32([2, 2]), shape: [4, 4], strides: [4, 1] };
  assert.throws(() => b.unary("exp", small, f32([4, 4])), /unary: native backend: x .* reaches elements 0\.\.15 but its buffer holds 4/);
  assert.throws(() => b.matmul(f32([8, 8]), small, f32([8, 4])), /matmul: native backend/);
  const gathered = f32([2, 2]);
  assert.throws(() => b.gather(f32([2, 3]), 1, indexOf([2, 2], { 3: 3 }), gathered), /gather: native backend: index 3 is out of range for dimension 1 of size 3/);
  assert.deepEqual(gathered.buf, new Float32Array(4).fill(1));
  assert.throws(() => b.conv(f32([1, 1, 8, 8]), small, f32([1, 4, 5, 5]), { kernel: [4, 4], stride: [1, 1], padBefore: [0, 0], padAfter: [0, 0], dilation: [1, 1], groups: 1 }), /conv: native backend/);
  // Alive and correct.
  const rng = new Rng(31);
  const x = randomView([9, 8], rng), w = randomView([8, 7], rng);
  compareKernel("after the errors", [randomView([9, 7], rng)], { rtol: 1e-4, atol: 1e-4 }, (be, [o]) => be.matmul(x, w, o));
  const t = nb.tensor([[1, 2], [3, 4]], { device: "native" });
  assert.deepEqual(nb.matmul(t, t).toArray(), [[7, 10], [15, 22]]);
});
