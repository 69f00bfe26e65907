// nb.viz.filters and nb.viz.featureMaps: the PNG grids decoded pixel by pixel against
// hand-worked values (min-max scaling per filter / channel, RGB for 3 input channels, layout).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pngjs from "pngjs";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

function decode(bytes: Uint8Array): { width: number; height: number; rgb: (x: number, y: number) => number[] } {
  const png = pngjs.PNG.sync.read(Buffer.from(bytes));
  return { width: png.width, height: png.height, rgb: (x, y) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3)) };
}
const gray = (v: number): number[] => [v, v, v];
const WHITE = gray(255);

test("filters: one grayscale tile per single-channel kernel, min-max scaled per filter", () => {
  // Two 2x2 kernels: [0 1; 2 3] and a constant one (drawn mid-gray).
  const w = nb.tensor([[[[0, 1], [2, 3]]], [[[5, 5], [5, 5]]]]);
  const img = decode(nb.viz.filters(w, { scale: 1, gap: 1 }));
  // Two tiles side by side (about square: 2 columns), 1-pixel gaps around: 2·2 + 3 by 2 + 2.
  assert.deepEqual([img.width, img.height], [7, 4]);
  assert.deepEqual(img.rgb(0, 0), WHITE);
  assert.deepEqual([img.rgb(1, 1), img.rgb(2, 1), img.rgb(1, 2), img.rgb(2, 2)], [gray(0), gray(85), gray(170), gray(255)]);
  assert.deepEqual(img.rgb(3, 1), WHITE);
  assert.deepEqual(img.rgb(4, 1), gray(128));

  // Scaled over the layer: the constant 5 is the layer's maximum.
  const layer = decode(nb.viz.filters(w, { scale: 1, gap: 1, normalize: "layer" }));
  assert.deepEqual([layer.rgb(2, 2), layer.rgb(4, 1)], [gray(153), gray(255)]);

  // Each kernel pixel becomes a scale x scale block.
  const big = decode(nb.viz.filters(w, { scale: 3, gap: 0, columns: 1 }));
  assert.deepEqual([big.width, big.height], [6, 12]);
  assert.deepEqual([big.rgb(2, 2), big.rgb(3, 2), big.rgb(5, 5)], [gray(0), gray(85), gray(255)]);
});

test("filters: a kernel with 3 input channels is one RGB tile; more channels, one row per filter", () => {
  const rgb = nb.tensor([[[[1]], [[0]], [[0.5]]]]); // [1, 3, 1, 1]
  const one = decode(nb.viz.filters(rgb, { scale: 1, gap: 0 }));
  assert.deepEqual([one.width, one.height], [1, 1]);
  assert.deepEqual(one.rgb(0, 0), [255, 0, 128]);

  // A Conv2d with 4 filters over 2 channels: 2 tiles per row, 4 rows.
  nb.manualSeed(0);
  const conv = new nb.nn.Conv2d(2, 4, 3);
  const grid = decode(nb.viz.filters(conv, { scale: 2, gap: 1 }));
  assert.deepEqual([grid.width, grid.height], [2 * 6 + 3, 4 * 6 + 5]);
  // Per filter the darkest value is 0 and the brightest 255, across its two channel tiles.
  const w = conv.weight.dataSync();
  const first = Array.from(w.subarray(0, 18));
  const lo = first.indexOf(Math.min(...first)), hi = first.indexOf(Math.max(...first));
  const at = (i: number): number[] => {
    const c = Math.floor(i / 9), y = Math.floor((i % 9) / 3), x = i % 3;
    return grid.rgb(1 + c * 7 + x * 2, 1 + y * 2);
  };
  assert.deepEqual([at(lo), at(hi)], [gray(0), gray(255)]);
});

test("filters: AlexNet-sized first layer (96 11x11 RGB kernels) renders, and writes path", () => {
  const conv = new nb.nn.Conv2d(3, 96, 11, { stride: 4 });
  const dir = mkdtempSync(join(tmpdir(), "nabla-filters-"));
  const path = join(dir, "sub", "alexnet-conv1.png");
  const bytes = nb.viz.filters(conv, { path });
  assert.deepEqual(readFileSync(path), Buffer.from(bytes));
  const img = decode(bytes);
  // 10 columns x 10 rows of 44-pixel tiles (scale 4) with 2-pixel gaps.
  assert.deepEqual([img.width, img.height], [10 * 44 + 11 * 2, 10 * 44 + 11 * 2]);
});

test("filters: bad input names what was expected", () => {
  assertThrowsMatching(() => nb.viz.filters(nb.zeros([4, 3, 3])), /^filters: expected kernels of shape \[out, in, kH, kW\] \(a Conv2d's weight\), got \[4, 3, 3\]$/);
  assertThrowsMatching(() => nb.viz.filters(new nb.nn.ReLU()), /filters: ReLU has no weight tensor/);
  assertThrowsMatching(() => nb.viz.filters(new nb.nn.Linear(3, 2)), /got \[2, 3\]/);
  assertThrowsMatching(() => nb.viz.filters(new nb.nn.Conv2d(1, 2, 3), { scale: 0 }), /filters: scale must be an integer from 1 to 256, got 0/);
  assertThrowsMatching(() => nb.viz.filters(new nb.nn.Conv2d(1, 2, 3), { normalize: "global" as never }), /normalize must be "filter" or "layer"/);
  assertThrowsMatching(() => nb.viz.filters(new nb.nn.Conv2d(1, 64, 3), { scale: 256, columns: 1 }), /would be .* pixels \(at most 16384 a side\)/);
  // A folder that cannot be made: its parent is a file.
  const file = join(mkdtempSync(join(tmpdir(), "nabla-filters-")), "file");
  writeFileSync(file, "");
  assertThrowsMatching(() => nb.viz.filters(new nb.nn.Conv2d(1, 2, 3), { path: join(file, "x.png") }), /^filters: could not write .*file\/x\.png: /);
});

test("featureMaps: one tile per output channel of the named layer, for one image", () => {
  // A conv whose two 1x1 kernels are x and -x, then ReLU: channel 0 is the image, channel 1 is zero.
  const conv = new nb.nn.Conv2d(1, 2, 1, { bias: false });
  nb.noGrad(() => conv.weight.copy_(nb.tensor([[[[1]]], [[[-1]]]])));
  const model = new nb.nn.Sequential(conv, new nb.nn.ReLU());
  const image = nb.tensor([[[0, 1], [2, 4]]]); // [1, 2, 2]
  const img = decode(nb.viz.featureMaps(model, image, "1", { scale: 1, gap: 1, colormap: "gray" }));
  assert.deepEqual([img.width, img.height], [7, 4]);
  assert.deepEqual([img.rgb(1, 1), img.rgb(2, 1), img.rgb(1, 2), img.rgb(2, 2)], [gray(0), gray(64), gray(128), gray(255)]);
  assert.deepEqual(img.rgb(4, 1), gray(0), "a dead channel is drawn at the bottom of the scale");

  // Viridis by default: its two ends.
  const v = decode(nb.viz.featureMaps(model, image.unsqueeze(0), "0", { scale: 1, gap: 0 }));
  assert.deepEqual([v.rgb(0, 0), v.rgb(1, 1)], [[68, 1, 84], [253, 231, 37]]);

  // A batch: index picks the image; the model's mode is left as it was.
  const batch = nb.stack([image.mul(0), image], 0);
  model.train();
  const second = decode(nb.viz.featureMaps(model, batch, "1", { scale: 1, gap: 1, colormap: "gray", index: 1 }));
  assert.deepEqual(second.rgb(2, 2), gray(255));
  assert.equal(conv.training, true);
});

test("featureMaps on a course model: the typical CNN's conv1 gives 8 maps of 26x26", () => {
  nb.manualSeed(0);
  const model = nb.models.typicalCnn();
  const x = nb.datasets.mnist({ split: "test", limit: 1 }).get(0)[0];
  const img = decode(nb.viz.featureMaps(model, x, "conv1", { gap: 2 }));
  // 3 columns x 3 rows of 26·2-pixel maps.
  assert.deepEqual([img.width, img.height], [3 * 52 + 4 * 2, 3 * 52 + 4 * 2]);
  assertThrowsMatching(() => nb.viz.featureMaps(model, x, "fc1"), /featureMaps: layer "fc1" gives activations of shape \[1, 64\]; feature maps need \[N, C, H, W\]/);
  assertThrowsMatching(() => nb.viz.featureMaps(model, x, "conv3"), /featureMaps: the model has no module named "conv3"; did you mean "conv1", "conv2"$/);
  assertThrowsMatching(() => nb.viz.featureMaps(model, x.unsqueeze(0), "conv1", { index: 1 }), /index must be an integer from 0 to 0, got 1/);
  assertThrowsMatching(() => nb.viz.featureMaps(model, nb.zeros([28, 28]), "conv1"), /x must be an image \[C, H, W\] or a batch \[N, C, H, W\], got \[28, 28\]/);
});
