// nb.viz.lineChartSvg / lineChartPng: named curves in one panel (a GAN's D and G losses), each a
// polyline with one dot per point, x from `start` (or given xs); bad series are clear errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import pngjs from "pngjs";
import * as nb from "../../src/index.js";

test("lineChartSvg: one series group per name, in order, with a dot per finite value", () => {
  const svg = nb.viz.lineChartSvg({ D: [1.4, 0.9, NaN, 0.5], G: { values: [0.7, 2, 3], xs: [1, 2.5, 4] } }, { title: "GAN", xLabel: "iteration" });
  const groups = [...svg.matchAll(/<g class="series" data-series="([^"]+)"[^>]*>([^]*?)<\/g>/g)];
  assert.deepEqual(groups.map((g) => g[1]), ["D", "G"]);
  assert.equal([...groups[0][2].matchAll(/<circle/g)].length, 3); // NaN is a gap
  assert.equal([...groups[0][2].matchAll(/<polyline/g)].length, 1); // the run 1.4, 0.9 (a single point after the gap has no line)
  assert.equal([...groups[1][2].matchAll(/<circle/g)].length, 3);
  assert.match(svg, /class="panel-title">GAN</);
  assert.match(svg, /class="x-label">iteration</);
  const png = pngjs.PNG.sync.read(Buffer.from(nb.viz.lineChartPng({ loss: [3, 2, 1] }, { width: 320, height: 200 })));
  assert.deepEqual([png.width, png.height], [320, 200]);
});

test("lineChartSvg: bad input is one clear error", () => {
  assert.throws(() => nb.viz.lineChartSvg({}), /^RangeError: lineChartSvg: no series to draw$/);
  assert.throws(() => nb.viz.lineChartSvg({ D: [] }), /^RangeError: lineChartSvg: series "D" is empty$/);
  assert.throws(() => nb.viz.lineChartSvg({ D: { values: [1, 2], xs: [1] } }), /^RangeError: lineChartSvg: series "D" has 2 values but 1 xs$/);
  // @ts-expect-error not numbers
  assert.throws(() => nb.viz.lineChartSvg({ D: ["a"] }), /^TypeError: lineChartSvg: series "D"\[0\] must be a number, got string$/);
  // @ts-expect-error matplotlib's name
  assert.throws(() => nb.viz.lineChartPng({ D: [1] }, { xlabel: "step" }), /^TypeError: lineChartPng: unknown option "xlabel" \(use xLabel\)/);
});
