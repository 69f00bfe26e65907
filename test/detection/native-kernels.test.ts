// The native detection kernels (native/src/detection.cc) check what they are handed before
// touching memory: RoI batch indices against N, argmax positions against the plane, and every
// shape against the others. (The view-bounds checks they share with every kernel are in
// test/backend/native-safety.test.ts.)

import { test } from "node:test";
import assert from "node:assert/strict";
import type { View } from "../../src/backend/backend.js";
import { loadAddon, type NativeAddon } from "../../src/backend/native/addon.js";
import { begin, end, nums, view } from "../../src/backend/addon-abi/encode.js";
import { skipNative } from "../backend/native-helpers.js";

const addon = (): NativeAddon => {
  const r = loadAddon();
  if (!r.addon) throw new Error(r.reason);
  return r.addon;
};
const dense = (shape: number[], buf: Float32Array | Int32Array, dtype: "float32" | "int32"): View => ({
  buf, dtype, shape, offset: 0, strides: shape.map((_, i) => shape.slice(i + 1).reduce((a, b) => a * b, 1)),
});
const f32 = (shape: number[], fill = 0): View => dense(shape, new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), "float32");
const i32 = (shape: number[], fill = 0): View => dense(shape, new Int32Array(shape.reduce((a, b) => a * b, 1)).fill(fill), "int32");
const rois = (rows: number[][]): View => dense([rows.length, 5], Float32Array.from(rows.flat()), "float32");

function align(kernel: "roiAlign" | "roiAlignBackward", a: View, r: View, b: View, geometry = [2, 2, 1, -1, 0]): void {
  begin(); nums(geometry); view(a, 1); view(r, 2); view(b, 3);
  addon()[kernel](end(), a.buf as Float32Array, r.buf as Float32Array, b.buf as Float32Array);
}

test("RoI kernels refuse batch indices outside the map, naming the RoI and N", { skip: skipNative }, () => {
  const x = f32([2, 3, 5, 4]), out = f32([2, 3, 2, 2], 7);
  for (const bad of [2, -1, NaN, 1e30]) {
    assert.throws(() => align("roiAlign", x, rois([[0, 0, 0, 1, 1], [bad, 0, 0, 1, 1]]), out), /roiAlign: .*rois\[1, 0\] = .* is not a batch index of an input with N = 2/);
    assert.ok((out.buf as Float32Array).every((v) => v === 7), "nothing written");
    assert.throws(() => align("roiAlignBackward", out, rois([[bad, 0, 0, 1, 1], [0, 0, 0, 1, 1]]), x, [2, 2, 1, 2, 1]), /roiAlignBackward: .*rois\[0, 0\]/);
  }
  begin(); nums([2, 2, 1]); view(x, 1); view(rois([[5, 0, 0, 1, 1], [0, 0, 0, 1, 1]]), 2); view(out, 3); view(i32([2, 3, 2, 2]), 4);
  assert.throws(() => addon().roiPool(end(), x.buf as Float32Array, rois([[5, 0, 0, 1, 1], [0, 0, 0, 1, 1]]).buf as Float32Array, out.buf as Float32Array, new Int32Array(24)), /roiPool: .*rois\[0, 0\] = 5/);
});

test("shapes that do not fit together are refused", { skip: skipNative }, () => {
  const x = f32([2, 3, 5, 4]);
  const r = rois([[0, 0, 0, 1, 1], [1, 0, 0, 1, 1]]);
  assert.throws(() => align("roiAlign", x, r, f32([2, 4, 2, 2])), /out must have shape \[2, 3, 2, 2\], got \[2, 4, 2, 2\]/);
  assert.throws(() => align("roiAlign", x, f32([2, 4]), f32([2, 3, 2, 2])), /rois must be \[K, 5\]/);
  assert.throws(() => align("roiAlign", x, r, f32([2, 3, 2, 2]), [2, 2, 0, -1, 0]), /spatialScale must be a positive finite number/);
  assert.throws(() => align("roiAlign", f32([2, 3, 5]), r, f32([2, 3, 2, 2])), /x must be a contiguous float32 \[N, C, H, W\]/);
  // roiPoolBackward: an argmax outside the H·W plane would write outside it.
  const gy = f32([2, 3, 2, 2], 1), gx = f32([2, 3, 5, 4]);
  const argmax = i32([2, 3, 2, 2], 0);
  (argmax.buf as Int32Array)[5] = 20;
  begin(); view(gy, 1); view(r, 2); view(argmax, 3); view(gx, 4);
  assert.throws(() => addon().roiPoolBackward(end(), gy.buf as Float32Array, r.buf as Float32Array, argmax.buf as Int32Array, gx.buf as Float32Array), /argmax\[5\] = 20 is outside a plane of 20 elements/);
  assert.ok((gx.buf as Float32Array).every((v) => v === 0), "nothing written");
  // nms: scores and keep must have one entry per box.
  begin(); nums([0.5]); view(f32([3, 4]), 1); view(f32([2]), 2); view(i32([3]), 3);
  assert.throws(() => addon().nms(end(), new Float32Array(12), new Float32Array(2), new Int32Array(3)), /nms: .*scores must have shape \[3\], got \[2\]/);
});
