// The classic R-CNN's parts (nb.detection): region warping, R-CNN's box-regression
// parameterisation against hand-computed numbers, the ridge regressor, the linear SVMs and
// hard-negative mining.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const D = nb.detection;
const boxes = (rows: number[][]): nb.Tensor => nb.tensor(rows.length ? rows : new Float32Array(0), { shape: [rows.length, 4] });

/** A [3, h, w] image whose pixel (c, y, x) is 1000·c + 100·y + x. */
function coordinates(h: number, w: number): nb.Tensor {
  return nb.tensor(Float32Array.from({ length: 3 * h * w }, (_, i) => 1000 * Math.floor(i / (h * w)) + 100 * Math.floor((i % (h * w)) / w) + (i % w)), { shape: [3, h, w] });
}

/** image[:, y0:y0+n, x0:x0+n] as nested arrays. */
function crop(image: nb.Tensor, x0: number, y0: number, n: number): number[][][] {
  const [, h, w] = image.shape, d = image.dataSync();
  return [0, 1, 2].map((c) => Array.from({ length: n }, (_, y) => Array.from({ length: n }, (_, x) => d[c * h * w + (y0 + y) * w + x0 + x])));
}

test("warpRegions: a box as large as the output reads its pixels exactly; padding adds the paper's context", () => {
  const image = coordinates(16, 16);
  // (4, 2, 12, 10) covers columns 4..11 and rows 2..9: at size 8 with one sample per pixel, those pixels.
  const plain = D.warpRegions(image, boxes([[4, 2, 12, 10]]), { size: 8, padding: 0, samplingRatio: 1 });
  assert.deepEqual(plain.shape, [1, 3, 8, 8]);
  assertClose(plain, [crop(image, 4, 2, 8)], { atol: 1e-3 });
  // At size 12 with 2 pixels of context per side, the 8-pixel box fills the middle 8 and the crop is columns 2..13, rows 0..11.
  const padded = D.warpRegions(image, boxes([[4, 2, 12, 10], [0, 0, 8, 8]]), { size: 12, padding: 2, samplingRatio: 1 });
  assert.deepEqual(padded.shape, [2, 3, 12, 12]);
  assertClose(nb.narrow(padded, 0, 0, 1), [crop(image, 2, 0, 12)], { atol: 1e-3 });
  // Context beyond the image reads as zero: the second box's dilated window starts 2 pixels outside.
  assert.equal(padded.dataSync()[3 * 144 + 0], 0);
  // A box twice the output size averages 2×2 pixel blocks (two samples per output pixel side).
  const half = D.warpRegions(image, boxes([[0, 0, 4, 4]]), { size: 2, padding: 0, samplingRatio: 2 });
  assertClose(nb.narrow(half, 1, 0, 1), [[[[50.5, 52.5], [250.5, 252.5]]]], { atol: 1e-3 });
  // The paper's default: 16 of 227 pixels, scaled (2 at 32).
  assert.deepEqual(D.warpRegions(image, boxes([[1, 1, 5, 5]])).shape, [1, 3, 32, 32]);
});

test("warpRegions: bad boxes, sizes and images are named", () => {
  const image = coordinates(8, 8);
  assertThrowsMatching(() => D.warpRegions(image, boxes([[4, 2, 3, 6]])), /warpRegions: box 0 \(4, 2, 3, 6\) must have x2 > x1/);
  assertThrowsMatching(() => D.warpRegions(image, boxes([[0, 0, 4, 4]]), { size: 8, padding: 4 }), /warpRegions: padding must be an integer in \[0, size\/2\)/);
  assertThrowsMatching(() => D.warpRegions(nb.zeros([1, 3, 8, 8]), boxes([[0, 0, 4, 4]])), /warpRegions: image must be \[C, H, W\], got \[1, 3, 8, 8\]/);
  assertThrowsMatching(() => D.warpRegions(image, nb.zeros([2, 5])), /warpRegions: boxes must be \[K, 4\]/);
  assertThrowsMatching(() => D.warpRegions(image, boxes([[0, 0, 4, 4]]), { size: 8, pad: 1 } as never), /warpRegions.*pad/);
});

test("boxRegressionTargets: R-CNN's t = ((gx − px)/pw, (gy − py)/ph, log(gw/pw), log(gh/ph)), worked by hand", () => {
  // P = (10, 20, 30, 60): centre (20, 40), size 20 × 40. G = (12, 18, 36, 58): centre (24, 38), size 24 × 40.
  const p = boxes([[10, 20, 30, 60]]), g = boxes([[12, 18, 36, 58]]);
  assertClose(D.boxRegressionTargets(p, g), [[4 / 20, -2 / 40, Math.log(24 / 20), 0]], { atol: 1e-6 });
  // Fast R-CNN's normalisation multiplies by (10, 10, 5, 5).
  assertClose(D.boxRegressionTargets(p, g, D.FAST_RCNN_BOX_WEIGHTS), [[2, -0.5, 5 * Math.log(1.2), 0]], { atol: 1e-5 });
  // The inverse moves the proposal onto the box, with or without weights.
  assertClose(D.applyBoxRegression(p, D.boxRegressionTargets(p, g)), [[12, 18, 36, 58]], { atol: 1e-4 });
  assertClose(D.applyBoxRegression(p, D.boxRegressionTargets(p, g, [10, 10, 5, 5]), [10, 10, 5, 5]), [[12, 18, 36, 58]], { atol: 1e-4 });
  // Zero deltas leave a box where it is; a log-size change is clipped at log(1000/16).
  assertClose(D.applyBoxRegression(p, nb.zeros([1, 4])), [[10, 20, 30, 60]]);
  const huge = D.applyBoxRegression(boxes([[0, 0, 1, 1]]), nb.tensor([[0, 0, 100, 0]])).dataSync();
  assertClose(huge[2] - huge[0], 1000 / 16, { rtol: 1e-5 });
  assertThrowsMatching(() => D.boxRegressionTargets(boxes([[5, 5, 5, 9]]), boxes([[0, 0, 1, 1]])), /boxRegressionTargets: proposal 0 \(5, 5, 5, 9\) has no area/);
  assertThrowsMatching(() => D.boxRegressionTargets(p, boxes([[0, 0, 1, 1], [0, 0, 2, 2]])), /same number of rows/);
});

test("fitRidgeRegression: the closed form (XcᵀXc + λI) w = Xcᵀyc with an unpenalised bias", () => {
  // y = 2x + 1 at x = 0..3: x̄ = 1.5, Σxc² = 5, Σxc·yc = 10. λ = 5: w = 10 / (5 + 5) = 1, b = ȳ − x̄w = 4 − 1.5 = 2.5.
  const x = nb.tensor([[0], [1], [2], [3]]), y = nb.tensor([[1], [3], [5], [7]]);
  const r = D.fitRidgeRegression(x, y, 5);
  assertClose(r.weight, [[1]], { atol: 1e-6 });
  assertClose(r.bias, [2.5], { atol: 1e-6 });
  assertClose(r.predict(nb.tensor([[10]])), [[12.5]], { atol: 1e-5 });
  // λ = 0 recovers an exact linear map with two outputs.
  const X = nb.tensor([[1, 0], [0, 1], [1, 1], [2, -1], [3, 2]]);
  const Y = nb.tensor([[1, 0], [0, 1], [1, 1], [2, -1], [3, 2]].map(([a, b]) => [2 * a - b + 3, a + 4 * b - 1]));
  const exact = D.fitRidgeRegression(X, Y, 0);
  assertClose(exact.weight, [[2, 1], [-1, 4]], { atol: 1e-4 });
  assertClose(exact.bias, [3, -1], { atol: 1e-4 });
  assertThrowsMatching(() => D.fitRidgeRegression(X, nb.zeros([4, 2]), 1), /fitRidgeRegression: targets must be \[5, T\]/);
  assertThrowsMatching(() => D.fitRidgeRegression(X, Y, -1), /lambda must be a number ≥ 0/);
});

/** n points of a 2-D set separable by the line x0 + x1 = 0 with a gap of ±0.5 around it. */
function separable(n: number, seed: number): { x: nb.Tensor; y: number[] } {
  const u = new nb.Generator(seed).hostUniform(2 * n);
  const pts: number[][] = [], y: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = 4 * u[2 * i] - 2, b = 4 * u[2 * i + 1] - 2;
    if (Math.abs(a + b) < 0.5) continue;
    pts.push([a, b]);
    y.push(a + b > 0 ? 1 : -1);
  }
  return { x: nb.tensor(pts), y };
}

test("trainLinearSvm separates a linearly separable set and puts the boundary between the classes", () => {
  const { x, y } = separable(200, 1);
  const svm = D.trainLinearSvm(x, y, { lambda: 1e-3 });
  const f = svm.decision(x).dataSync();
  y.forEach((label, i) => assert.ok(label * f[i] > 0, `point ${i} (label ${label}) scored ${f[i]}`));
  // The normal points along (1, 1).
  const [w0, w1] = Array.from(svm.weight.dataSync());
  assert.ok(w0 > 0 && w1 > 0 && Math.abs(w0 - w1) / (w0 + w1) < 0.2, `w = (${w0}, ${w1})`);
  assertThrowsMatching(() => D.trainLinearSvm(x, y.map(() => 0)), /trainLinearSvm: labels must be \+1 or −1, got 0 at 0/);
  assertThrowsMatching(() => D.trainLinearSvm(x, [1, -1]), /trainLinearSvm: 2 labels for \d+ feature rows/);
  assertThrowsMatching(() => D.trainLinearSvm(x, y, { steps: 0 }), /steps must be a positive number/);
});

test("trainSvmWithHardNegatives: mining adds the negatives the first SVM got wrong and ends with none", () => {
  // Positives near (2, 2); many negatives, the few hard ones just across the boundary.
  const pos = nb.tensor(Array.from({ length: 20 }, (_, i) => [2 + 0.1 * (i % 5), 2 + 0.1 * Math.floor(i / 5)]));
  const negRows = Array.from({ length: 400 }, (_, i) => [-3 + 0.01 * i, -3 + 0.005 * i]);
  for (let i = 0; i < 10; i++) negRows.push([0.6 + 0.05 * i, 0.5]); // hard: close to the positives
  const neg = nb.tensor(negRows);
  const { svm, cacheSizes } = D.trainSvmWithHardNegatives(pos, neg, { initialNegatives: 20, rounds: 5, seed: 0 });
  assert.equal(cacheSizes[0], 20);
  assert.ok(cacheSizes.length >= 2 && cacheSizes[1] > 20, `caches ${cacheSizes}`);
  const fn = svm.decision(neg).dataSync(), fp = svm.decision(pos).dataSync();
  assert.ok(Array.from(fn).every((v) => v < 0), `largest negative score ${Math.max(...fn)}`);
  assert.ok(Array.from(fp).every((v) => v > 0), `smallest positive score ${Math.min(...fp)}`);
  assertThrowsMatching(() => D.trainSvmWithHardNegatives(pos, nb.zeros([3, 5])), /trainSvmWithHardNegatives: positives \[P, D\] and negatives \[M, D\] must be 2-D with the same D/);
});
