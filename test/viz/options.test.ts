// nb.viz: unknown option names are errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";

test("viz: unknown options are errors", async () => {
  const history = { loss: [1, 0.5], val_loss: [1.1, 0.7] };
  // @ts-expect-error matplotlib's figsize
  assert.throws(() => nb.viz.learningCurvesSvg(history, { figsize: [8, 4] }), /^TypeError: learningCurvesSvg: unknown option "figsize" \(use width and height \(pixels\)\); the options are title, width, height$/);
  // @ts-expect-error basename only where a file is written
  assert.throws(() => nb.viz.learningCurvesPng(history, { basename: "x" }), /^TypeError: learningCurvesPng: unknown option "basename"; the options are title, width, height$/);
  // @ts-expect-error
  await assert.rejects(nb.viz.writeLearningCurves(history, "/tmp/unused", { name: "x" }), /^TypeError: writeLearningCurves: unknown option "name"; the options are title, width, height, basename$/);
  const conv = new nb.nn.Conv2d(1, 2, 3);
  // @ts-expect-error
  assert.throws(() => nb.viz.filters(conv, { cmap: "viridis" }), /^TypeError: filters: unknown option "cmap" \(use colormap\)/);
  const model = new nb.nn.Sequential(conv);
  // @ts-expect-error
  assert.throws(() => nb.viz.featureMaps(model, nb.zeros([1, 5, 5]), "0", { colourmap: "gray" }), /^TypeError: featureMaps: unknown option "colourmap" \(did you mean "colormap"\?\)/);
});
