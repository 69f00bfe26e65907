// Selective search (Uijlings et al. 2013) and the Felzenszwalb–Huttenlocher segmentation under it:
// recall on flat coloured rectangles, components of a two-colour image, determinism, ranking
// without duplicates, and errors.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertThrowsMatching } from "../helpers/assert.js";

type Rect = [number, number, number, number, [number, number, number]];

/** A [3, H, W] image: a background colour with flat rectangles (x1, y1, x2, y2 edges) and ±noise. */
function rectangles(size: number, background: [number, number, number], rects: Rect[], noise = 0): nb.Tensor {
  const plane = size * size;
  const img = new Float32Array(3 * plane);
  for (let c = 0; c < 3; c++) img.fill(background[c], c * plane, (c + 1) * plane);
  for (const [x1, y1, x2, y2, colour] of rects) {
    for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) for (let c = 0; c < 3; c++) img[c * plane + y * size + x] = colour[c];
  }
  let s = 12345;
  for (let i = 0; i < img.length && noise > 0; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    img[i] = Math.min(1, Math.max(0, img[i] + (s / 2147483648 - 0.5) * noise));
  }
  return nb.tensor(img, { shape: [3, size, size] });
}

function iou(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const iw = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const ih = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = iw * ih;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/** The best IoU of each rectangle with any proposal. */
function bestIous(proposals: nb.Tensor, rects: Rect[]): number[] {
  const d = proposals.dataSync();
  return rects.map((r) => {
    let best = 0;
    for (let k = 0; k < d.length; k += 4) best = Math.max(best, iou(r.slice(0, 4) as number[], d.subarray(k, k + 4)));
    return best;
  });
}

const RECTS: Rect[] = [
  [8, 10, 40, 32, [0.9, 0.1, 0.1]],
  [50, 56, 88, 90, [0.1, 0.2, 0.9]],
  [60, 8, 90, 40, [0.9, 0.9, 0.2]],
  [12, 60, 30, 84, [0.1, 0.8, 0.3]],
];
const IMAGE = rectangles(96, [0.35, 0.45, 0.4], RECTS, 0.08);
let fastProposals: nb.Tensor | null = null;
/** The default (fast) proposals of IMAGE, computed once for the tests that read them. */
const fast = (): nb.Tensor => (fastProposals ??= nb.detection.selectiveSearch(IMAGE));

test("selectiveSearch (fast, the default) finds every flat rectangle on a noisy background with IoU > 0.9", () => {
  const boxes = fast();
  assert.equal(boxes.dtype, "float32");
  assert.equal(boxes.shape[1], 4);
  for (const [i, v] of bestIous(boxes, RECTS).entries()) assert.ok(v > 0.9, `rectangle ${i}: best IoU ${v}`);
});

test("without noise even the single strategy recovers each rectangle exactly; quality mode on a small image too", () => {
  const clean = rectangles(96, [0.35, 0.45, 0.4], RECTS);
  assert.deepEqual(bestIous(nb.detection.selectiveSearch(clean, { mode: "single" }), RECTS), [1, 1, 1, 1]);
  const small: Rect[] = [[4, 6, 20, 18, [0.9, 0.2, 0.1]], [26, 24, 44, 44, [0.2, 0.3, 0.9]]];
  const quality = nb.detection.selectiveSearch(rectangles(48, [0.4, 0.5, 0.4], small, 0.08), { mode: "quality" });
  for (const v of bestIous(quality, small)) assert.ok(v > 0.9, `quality: best IoU ${v}`);
});

test("selectiveSearch proposals are distinct boxes inside the image, and deterministic", () => {
  const a = fast();
  const b = nb.detection.selectiveSearch(IMAGE);
  assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()));
  const d = a.dataSync();
  const keys = new Set<string>();
  for (let k = 0; k < d.length; k += 4) {
    const [x1, y1, x2, y2] = d.subarray(k, k + 4);
    assert.ok(x1 >= 0 && y1 >= 0 && x2 <= 96 && y2 <= 96 && x1 < x2 && y1 < y2, `box ${x1},${y1},${x2},${y2}`);
    keys.add(`${x1},${y1},${x2},${y2}`);
  }
  assert.equal(keys.size, a.shape[0]);
  // Fast diversifies over 8 strategies: more proposals than the single strategy, which is one hierarchy.
  assert.ok(a.shape[0] > nb.detection.selectiveSearch(IMAGE, { mode: "single" }).shape[0]);
  // maxProposals keeps the best-ranked ones.
  const top = nb.detection.selectiveSearch(IMAGE, { maxProposals: 5 });
  assert.deepEqual(Array.from(top.dataSync()), Array.from(d.subarray(0, 20)));
});

test("felzenszwalbSegmentation: a two-colour image is two components, split where the colour changes", () => {
  const img = rectangles(24, [0.1, 0.1, 0.1], [[0, 0, 10, 24, [0.9, 0.8, 0.2]]]);
  const halves = (split: number): number[] => [...new Array<number>(split).fill(0), ...new Array<number>(24 - split).fill(1)];
  // Unsmoothed: the one heavy edge between the colours is the only boundary.
  const sharp = nb.detection.felzenszwalbSegmentation(img, { k: 100, sigma: 0, minSize: 5 });
  assert.equal(sharp.count, 2);
  assert.deepEqual(sharp.labels.shape, [24, 24]);
  for (const row of sharp.labels.toArray() as number[][]) assert.deepEqual(row, halves(10));
  // Smoothed (σ = 0.8), the blurred columns 8..11 first form strips of their own (each 24 pixels);
  // minSize 30 merges each strip along its lightest edge: column 9 (75% yellow) to the yellow side.
  const smooth = nb.detection.felzenszwalbSegmentation(img, { k: 100, minSize: 30 });
  assert.equal(smooth.count, 2);
  for (const row of smooth.labels.toArray() as number[][]) assert.deepEqual(row, halves(10));
  assert.ok(nb.detection.felzenszwalbSegmentation(img, { k: 100, minSize: 5 }).count > 2);
  // A flat image is one component; minSize merges a 2x2 speck into its surroundings.
  assert.equal(nb.detection.felzenszwalbSegmentation(rectangles(16, [0.5, 0.5, 0.5], [])).count, 1);
  const speck = rectangles(16, [0.2, 0.2, 0.2], [[5, 5, 7, 7, [1, 1, 1]]]);
  assert.equal(nb.detection.felzenszwalbSegmentation(speck, { sigma: 0, minSize: 1 }).count, 2);
  assert.equal(nb.detection.felzenszwalbSegmentation(speck, { sigma: 0, minSize: 5 }).count, 1);
});

test("selectiveSearch: bad input is one clear error", () => {
  const ss = nb.detection.selectiveSearch;
  assertThrowsMatching(() => ss(nb.zeros([1, 8, 8])), /^selectiveSearch: image must have shape \[3, H, W\] with H, W > 0 \(channels first, one image\), got \[1, 8, 8\]$/);
  assertThrowsMatching(() => ss(nb.zeros([1, 3, 8, 8])), /^selectiveSearch: image must have shape \[3, H, W\].*got \[1, 3, 8, 8\]$/);
  assertThrowsMatching(() => ss(nb.full([3, 4, 4], 255)), /^selectiveSearch: image values must be finite and in \[0, 1\], found 255 at flat index 0 of shape \[3, 4, 4\]$/);
  const nan = new Float32Array(48);
  nan[7] = NaN;
  assertThrowsMatching(() => ss(nb.tensor(nan, { shape: [3, 4, 4] })), /^selectiveSearch: image values must be finite and in \[0, 1\], found NaN at flat index 7/);
  assertThrowsMatching(() => ss(nb.zeros([3, 4, 4], { dtype: "int32" })), /^selectiveSearch: image must be float32 or float64 with values in \[0, 1\], got int32/);
  // @ts-expect-error not a tensor
  assertThrowsMatching(() => ss([[0]]), /^selectiveSearch: image must be a Tensor \[3, H, W\]/);
  // @ts-expect-error unknown mode
  assertThrowsMatching(() => ss(IMAGE, { mode: "best" }), /^selectiveSearch: mode must be "single", "fast" or "quality", got "best"$/);
  assertThrowsMatching(() => ss(IMAGE, { maxProposals: 0 }), /^selectiveSearch: maxProposals must be a positive integer, got 0$/);
  assertThrowsMatching(() => ss(IMAGE, { minSize: 0.5 }), /^selectiveSearch: minSize must be a positive integer \(pixels\), got 0.5$/);
  // @ts-expect-error misspelt
  assertThrowsMatching(() => ss(IMAGE, { maxProposal: 3 }), /^selectiveSearch: unknown option "maxProposal" \(did you mean "maxProposals"\?\)/);
  assertThrowsMatching(() => nb.detection.felzenszwalbSegmentation(IMAGE, { k: -1 }), /^felzenszwalbSegmentation: k must be a positive number, got -1$/);
});
