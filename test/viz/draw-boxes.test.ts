// nb.viz.drawBoxes / drawBoxesPng: outlines land on the box edges (scaled), in the class colour,
// over the upscaled image; bad input is an error naming the function.

import { test } from "node:test";
import assert from "node:assert/strict";
import pngjs from "pngjs";
import * as nb from "../../src/index.js";

test("drawBoxes: the image scaled by nearest neighbour, a class-coloured outline on the box edges, white reference boxes", () => {
  const image = nb.full([3, 4, 4], 0.5);
  const out = nb.viz.drawBoxes(image, [[1, 1, 3, 3]], { labels: [2], scale: 2, lineWidth: 1, reference: [[0, 0, 4, 4]] });
  assert.deepEqual(out.shape, [3, 8, 8]);
  const px = (c: number, y: number, x: number) => Math.round(out.dataSync()[c * 64 + y * 8 + x] * 255);
  const [r, g, b] = nb.viz.BOX_COLORS[2];
  assert.deepEqual([px(0, 2, 2), px(1, 2, 2), px(2, 2, 2)], [r, g, b]); // corner (1, 1)·2
  assert.deepEqual([px(0, 6, 4), px(1, 6, 4), px(2, 6, 4)], [r, g, b]); // bottom edge y = 3·2
  assert.deepEqual([px(0, 4, 4), px(1, 4, 4), px(2, 4, 4)], [128, 128, 128]); // inside: the image
  assert.deepEqual([px(0, 0, 5), px(1, 0, 5), px(2, 0, 5)], [255, 255, 255]); // the reference's top edge
  const png = pngjs.PNG.sync.read(Buffer.from(nb.viz.drawBoxesPng(image, nb.tensor([[1, 1, 3, 3]]), { scale: 3 })));
  assert.deepEqual([png.width, png.height], [12, 12]);
  assert.throws(() => nb.viz.drawBoxes(nb.zeros([2, 4, 4]), []), /drawBoxes: image must be \[C, H, W\] with C = 1 or 3, got \[2, 4, 4\]/);
  assert.throws(() => nb.viz.drawBoxes(image, nb.zeros([2, 5])), /drawBoxes: boxes must be \[K, 4\], got \[2, 5\]/);
});
