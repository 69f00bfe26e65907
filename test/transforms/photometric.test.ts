// ColorJitter, GaussianBlur and GaussianNoise: definitions on hand-made images, shapes, seeding
// and errors (torchvision parity of the underlying adjustments is in torch-parity.test.ts).

import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, assertThrowsMatching } from "../helpers/assert.js";

const T = nb.transforms;
const g = (seed: number) => ({ generator: new nb.Generator(seed) });
const rgb = nb.rand([3, 5, 6], g(7));

test("ColorJitter with one-point ranges applies exactly that adjustment", () => {
  assertClose(new T.ColorJitter({ brightness: [1.5, 1.5] }).apply(rgb), T.adjustBrightness(rgb, 1.5));
  assertClose(new T.ColorJitter({ saturation: [0.3, 0.3] }).apply(rgb), T.adjustSaturation(rgb, 0.3));
  assertClose(new T.ColorJitter({ hue: [0.2, 0.2] }).apply(rgb), T.adjustHue(rgb, 0.2), { atol: 1e-6 });
  // Contrast 0 leaves only the mean grey level; brightness 0 gives black.
  const gray = nb.tensor([[[0.1, 0.3], [0.5, 0.7]]]);
  assertClose(new T.ColorJitter({ contrast: [0, 0] }).apply(gray), [[[0.4, 0.4], [0.4, 0.4]]]);
  assertClose(new T.ColorJitter({ brightness: [0, 0] }).apply(gray), [[[0, 0], [0, 0]]]);
  // Brightness multiplies and clamps to [0, 1].
  assertClose(new T.ColorJitter({ brightness: [2, 2] }).apply(gray), [[[0.2, 0.6], [1, 1]]]);
  // Saturation 0 makes every channel the pixel's luma 0.2989 r + 0.587 g + 0.114 b.
  const px = nb.tensor([[[1]], [[0.5]], [[0]]]);
  const luma = 0.2989 + 0.587 * 0.5;
  assertClose(T.adjustSaturation(px, 0), [[[luma]], [[luma]], [[luma]]]);
  // Hue 1/3 of a turn sends pure red to pure green, and a half turn red to cyan.
  assertClose(T.adjustHue(nb.tensor([[[1]], [[0]], [[0]]]), 1 / 3), [[[0]], [[1]], [[0]]], { atol: 1e-6 });
  assertClose(T.adjustHue(nb.tensor([[[1]], [[0]], [[0]]]), 0.5), [[[0]], [[1]], [[1]]], { atol: 1e-6 });
});

test("ColorJitter: shapes, values stay in [0, 1], seeding, a draw per image", () => {
  const t = (seed: number) => new T.ColorJitter({ brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1, ...g(seed) });
  const batch = rgb.unsqueeze(0).expand([8, 3, 5, 6]).contiguous();
  const out = t(1).apply(batch);
  assert.deepEqual(out.shape, [8, 3, 5, 6]);
  assert.deepEqual(t(1).apply(rgb).shape, [3, 5, 6]);
  const v = Array.from(out.dataSync());
  assert.ok(v.every((e) => e >= 0 && e <= 1));
  assertClose(t(1).apply(batch), out, { rtol: 0, atol: 0 });
  assert.notDeepEqual(t(2).apply(batch).toArray(), out.toArray());
  const images = (out.toArray() as unknown[]).map((im) => JSON.stringify(im));
  assert.equal(new Set(images).size, 8);
  // The factors come from their ranges: brightness alone in [0.6, 1.4] scales a mid-grey image by that much.
  const grey = nb.full([16, 1, 2, 2], 0.5);
  const scaled = (new T.ColorJitter({ brightness: 0.4, ...g(3) }).apply(grey).toArray() as number[][][][]).map((im) => im[0][0][0] / 0.5);
  assert.ok(scaled.every((f) => f >= 0.6 - 1e-6 && f <= 1.4 + 1e-6), `${scaled}`);
  assert.ok(Math.max(...scaled) - Math.min(...scaled) > 0.3);
  // Grayscale images accept brightness and contrast.
  assert.deepEqual(new T.ColorJitter({ brightness: 0.2, contrast: 0.2 }).apply(grey).shape, [16, 1, 2, 2]);
});

test("ColorJitter and the adjustments reject what they cannot do", () => {
  assertThrowsMatching(() => new T.ColorJitter({ saturation: 0.5 }).apply(nb.rand([1, 4, 4])),
    /ColorJitter: saturation needs RGB images \(3 channels\), got 1 channel; grayscale images take brightness and contrast only/);
  assertThrowsMatching(() => new T.ColorJitter({ saturation: 0.5, hue: 0.1 }).apply(nb.rand([2, 1, 4, 4])), /ColorJitter: saturation and hue need RGB images/);
  assertThrowsMatching(() => new T.ColorJitter({ brightness: 0.5 }).apply(nb.rand([4, 4, 4])), /ColorJitter: expected 1 \(grayscale\) or 3 \(RGB\) channels, got 4/);
  assertThrowsMatching(() => new T.ColorJitter({ hue: 0.7 }), /ColorJitter: hue range \[-0.7, 0.7\] must lie within \[-0.5, 0.5\]/);
  assertThrowsMatching(() => new T.ColorJitter({ brightness: -0.2 }), /ColorJitter: brightness must be a non-negative number or a \[min, max\] pair, got -0.2/);
  assertThrowsMatching(() => new T.ColorJitter({ contrast: [-1, 2] }), /ColorJitter: contrast range \[-1, 2\] must lie within \[0, Infinity\]/);
  assertThrowsMatching(() => T.adjustHue(nb.rand([1, 2, 2]), 0.1), /adjustHue: hue needs RGB images/);
  assertThrowsMatching(() => T.adjustHue(rgb, 0.6), /adjustHue: factor must be in \[-0.5, 0.5\], got 0.6/);
  assertThrowsMatching(() => T.adjustBrightness(rgb, -1), /adjustBrightness: factor must be non-negative, got -1/);
});

test("GaussianBlur keeps constant images, blurs an impulse into the separable kernel, seeds sigma per image", () => {
  assertClose(new T.GaussianBlur(5, 1.3).apply(nb.full([2, 6, 7], 0.25)), nb.full([2, 6, 7], 0.25), { atol: 1e-7 });
  // An impulse far from the border spreads into k(i) k(j) with k ∝ exp(-x²/2σ²) at x = -1, 0, 1.
  const impulse = nb.zeros([1, 5, 5]).add(nb.tensor([[[0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]]));
  const e = Math.exp(-0.5), k = [e / (1 + 2 * e), 1 / (1 + 2 * e), e / (1 + 2 * e)];
  const out = new T.GaussianBlur(3, 1).apply(impulse).toArray() as number[][][];
  for (let i = 0; i < 3; i++) for (let j = 0; j < 3; j++) assert.ok(Math.abs(out[0][1 + i][1 + j] - k[i] * k[j]) < 1e-7);
  assert.equal(out[0][0][0], 0);
  // [kx, ky]: a 1 x 3 kernel blurs along columns only.
  const col = new T.GaussianBlur([1, 3], 1).apply(impulse).toArray() as number[][][];
  assert.equal(col[0][2][1], 0);
  assert.ok(col[0][1][2] > 0);
  const t = (seed: number) => new T.GaussianBlur(3, [0.1, 2], g(seed));
  const batch = nb.rand([1, 3, 6, 6], g(5)).expand([6, 3, 6, 6]).contiguous();
  const a = t(1).apply(batch);
  assert.deepEqual(a.shape, [6, 3, 6, 6]);
  assertClose(t(1).apply(batch), a, { rtol: 0, atol: 0 });
  assert.notDeepEqual(t(2).apply(batch).toArray(), a.toArray());
  assert.equal(new Set((a.toArray() as unknown[]).map((im) => JSON.stringify(im))).size, 6);
  assertThrowsMatching(() => new T.GaussianBlur(4), /GaussianBlur: kernelSize must be an odd positive integer or \[kx, ky\] of them, got 4/);
  assertThrowsMatching(() => new T.GaussianBlur(3, -1), /GaussianBlur: sigma must be a positive number or \[min, max\] with 0 < min <= max, got -1/);
  assertThrowsMatching(() => new T.GaussianBlur(3, [2, 1]), /GaussianBlur: sigma must be .*got \[2,1\]/);
});

test("GaussianNoise adds N(mean, std²) noise, clips on request, and is seeded", () => {
  const x = nb.full([2, 3, 40, 40], 0.5);
  const noisy = new T.GaussianNoise(0.1, { mean: 0.05, ...g(1) }).apply(x);
  assert.deepEqual(noisy.shape, [2, 3, 40, 40]);
  const d = noisy.sub(x);
  assert.ok(Math.abs(d.mean().item() - 0.05) < 0.005, `mean ${d.mean().item()}`);
  assert.ok(Math.abs(d.std().item() - 0.1) < 0.005, `std ${d.std().item()}`);
  assertClose(new T.GaussianNoise(0.1, { mean: 0.05, ...g(1) }).apply(x), noisy, { rtol: 0, atol: 0 });
  assert.notDeepEqual(new T.GaussianNoise(0.1, g(2)).apply(x).toArray(), noisy.toArray());
  assertClose(new T.GaussianNoise(0).apply(x.narrow(0, 0, 1).squeeze(0)), x.narrow(0, 0, 1).squeeze(0));
  const clipped = new T.GaussianNoise(1, { clip: true, ...g(3) }).apply(x);
  assert.ok(Array.from(clipped.dataSync()).every((v) => v >= 0 && v <= 1));
  assert.ok(Array.from(new T.GaussianNoise(1, { clip: [0.4, 0.6], ...g(3) }).apply(x).dataSync()).every((v) => v >= Math.fround(0.4) && v <= Math.fround(0.6)));
  assert.equal(new T.GaussianNoise(0.1).apply(x.to("float64")).dtype, "float64");
  assertThrowsMatching(() => new T.GaussianNoise(-0.1), /GaussianNoise: std must be non-negative, got -0.1/);
  assertThrowsMatching(() => new T.GaussianNoise(0.1, { clip: [1, 0] }), /GaussianNoise: clip must be true, false or \[min, max\] with min <= max, got \[1,0\]/);
  assertThrowsMatching(() => new T.GaussianNoise(0.1).apply(nb.zeros([5])), /GaussianNoise: expected an image \[C, H, W\] or a batch \[N, C, H, W\], got shape \[5\]/);
});
