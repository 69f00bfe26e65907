// nb.viz.saveImageGrid / imageGridPng: the PNG decoded pixel by pixel against what
// torchvision.utils.save_image writes for the same tensors (torchvision 0.14; the expected rows
// below were printed by it: nrow, padding, normalize with and without value_range, scale_each).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";
import * as nb from "../../src/index.js";

function decode(bytes: Uint8Array): { width: number; height: number; rows: number[][]; pixel: (x: number, y: number) => number[] } {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes));
  const pixel = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 4));
  const rows = Array.from({ length: png.height }, (_, y) => Array.from({ length: png.width }, (_, x) => pixel(x, y)[0]));
  return { width: png.width, height: png.height, rows, pixel };
}

// Three 1x2x2 images; values outside [0, 1] are clamped unless normalized.
const images = () => nb.tensor([[[[0, 0.5], [1, 0.25]]], [[[2, -1], [0.1, 0.9]]], [[[0.2, 0.4], [0.6, 0.8]]]]);

test("imageGridPng lays images out as torchvision's make_grid: nrow per row, padding around, pad value 0", () => {
  const img = decode(nb.viz.imageGridPng(images(), { nrow: 2, padding: 1 }));
  assert.deepEqual([img.width, img.height], [7, 7]);
  assert.deepEqual(img.rows, [
    [0, 0, 0, 0, 0, 0, 0],
    [0, 0, 128, 0, 255, 0, 0],
    [0, 255, 64, 0, 26, 230, 0],
    [0, 0, 0, 0, 0, 0, 0],
    [0, 51, 102, 0, 0, 0, 0],
    [0, 153, 204, 0, 0, 0, 0],
    [0, 0, 0, 0, 0, 0, 0],
  ]);
  // Gray: the three colour channels agree, and every pixel is opaque.
  assert.deepEqual(img.pixel(2, 1), [128, 128, 128, 255]);
  assert.deepEqual(img.pixel(0, 0), [0, 0, 0, 255]);
  // padValue 1 is white.
  assert.deepEqual(decode(nb.viz.imageGridPng(images(), { nrow: 2, padding: 1, padValue: 1 })).pixel(0, 0), [255, 255, 255, 255]);
});

test("normalize maps valueRange, or the batch's min and max, or each image's (scaleEach), to [0, 1]", () => {
  const ranged = decode(nb.viz.imageGridPng(images(), { nrow: 2, padding: 1, normalize: true, valueRange: [-1, 1] }));
  assert.deepEqual(ranged.rows.slice(1, 3), [[0, 128, 191, 0, 255, 0, 0], [0, 255, 159, 0, 140, 242, 0]]);
  assert.deepEqual(ranged.rows.slice(4, 6), [[0, 153, 179, 0, 0, 0, 0], [0, 204, 230, 0, 0, 0, 0]]);
  const batch = decode(nb.viz.imageGridPng(images(), { nrow: 3, padding: 0, normalize: true }));
  assert.deepEqual(batch.rows, [[85, 128, 255, 0, 102, 119], [170, 106, 94, 162, 136, 153]]);
  const each = decode(nb.viz.imageGridPng(images(), { nrow: 3, padding: 0, normalize: true, scaleEach: true }));
  assert.deepEqual(each.rows, [[0, 128, 255, 0, 0, 85], [255, 64, 94, 162, 170, 255]]);
});

test("RGB images, [N, H, W] batches, scale, and saveImageGrid writes the same bytes", () => {
  const rgb = nb.tensor([[[[1]], [[0]], [[0.5]]], [[[0]], [[1]], [[0]]]]); // [2, 3, 1, 1]
  const img = decode(nb.viz.imageGridPng(rgb, { padding: 0, scale: 2 }));
  assert.deepEqual([img.width, img.height], [4, 2]);
  assert.deepEqual([img.pixel(1, 1), img.pixel(2, 0)], [[255, 0, 128, 255], [0, 255, 0, 255]]);

  const flat = nb.tensor([[[0, 1]], [[1, 0]]]); // [2, 1, 2]: two one-row images
  const g = decode(nb.viz.imageGridPng(flat, { nrow: 1, padding: 1 }));
  assert.deepEqual(g.rows, [[0, 0, 0, 0], [0, 0, 255, 0], [0, 0, 0, 0], [0, 255, 0, 0], [0, 0, 0, 0]]);

  const path = join(mkdtempSync(join(tmpdir(), "nabla-grid-")), "sub", "grid.png");
  const bytes = nb.viz.saveImageGrid(images(), path);
  assert.deepEqual(new Uint8Array(readFileSync(path)), bytes);
  // 8 per row by default: three 2x2 images with padding 2 in one row.
  assert.deepEqual([decode(bytes).width, decode(bytes).height], [3 * 4 + 2, 6]);
});

test("bad shapes and options are one clear error naming saveImageGrid / imageGridPng", () => {
  const cases: [() => unknown, RegExp][] = [
    [() => nb.viz.imageGridPng(nb.zeros([4, 4])), /^RangeError: imageGridPng: images must be a batch \[N, C, H, W\] \(C 1 or 3\) or \[N, H, W\], got \[4, 4\]$/],
    [() => nb.viz.imageGridPng(nb.zeros([2, 2, 4, 4])), /^RangeError: imageGridPng: images \[2, 2, 4, 4\] have 2 channels; a PNG grid takes 1 \(gray\) or 3 \(RGB\)$/],
    [() => nb.viz.imageGridPng(nb.zeros([0, 1, 4, 4])), /^RangeError: imageGridPng: images \[0, 1, 4, 4\] are empty/],
    [() => nb.viz.imageGridPng(nb.zeros([1, 1, 2, 2], { dtype: "int32" })), /^TypeError: imageGridPng: images must be floating point/],
    [() => nb.viz.imageGridPng(nb.zeros([1, 1, 2, 2]), { valueRange: [-1, 1] }), /^RangeError: imageGridPng: valueRange applies only with normalize: true$/],
    [() => nb.viz.imageGridPng(nb.zeros([1, 1, 2, 2]), { normalize: true, valueRange: [1, -1] }), /^RangeError: imageGridPng: valueRange must be \[lo, hi\] with finite lo < hi, got \[1,-1\]$/],
    [() => nb.viz.imageGridPng(nb.zeros([1, 1, 2, 2]), { nrow: 0 }), /^RangeError: imageGridPng: nrow must be an integer from 1 to 4096, got 0$/],
    [() => nb.viz.imageGridPng(nb.zeros([1, 1, 2, 2]), { padding: -1 }), /^RangeError: imageGridPng: padding must be an integer from 0 to 256, got -1$/],
    // @ts-expect-error torchvision's spelling
    [() => nb.viz.imageGridPng(nb.zeros([1, 1, 2, 2]), { value_range: [0, 1] }), /^TypeError: imageGridPng: unknown option "value_range" \(use valueRange\)/],
    [() => nb.viz.saveImageGrid(nb.zeros([1, 1, 2, 2]), ""), /^TypeError: saveImageGrid: path must be a non-empty string/],
  ];
  for (const [f, pattern] of cases) {
    assert.throws(f, (e: Error) => {
      assert.match(`${e.name}: ${e.message}`, pattern);
      return true;
    });
  }
});
