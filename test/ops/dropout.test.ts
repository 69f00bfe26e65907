import { test } from "node:test";
import assert from "node:assert/strict";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";

const fractionZero = (t: nb.Tensor): number => t.eq(0).to("float32").mean().item();

test("dropout keeps the mean (within 0.01, 0.02 at p = 0.8) and zeros a fraction p (within 0.005) of a large tensor", () => {
  // 200,000 ones: the fraction of zeros has std sqrt(p(1-p)/n) ≈ 0.001, the mean sqrt(p/(1-p)/n) ≈ 0.0015.
  const x = nb.ones([400, 500]);
  for (const p of [0.1, 0.3, 0.5, 0.8]) {
    const y = nb.dropout(x, p, true, { generator: new nb.Generator(100 + p * 10) });
    assert.ok(Math.abs(fractionZero(y) - p) < 0.005, `p=${p}: fraction of zeros ${fractionZero(y)}`);
    assert.ok(Math.abs(y.mean().item() - 1) < 0.01 * (p === 0.8 ? 2 : 1), `p=${p}: mean ${y.mean().item()}`);
    // Kept values are scaled by exactly 1/(1-p).
    const kept = Array.from(y.dataSync()).filter((v) => v !== 0);
    assert.ok(kept.every((v) => Math.abs(v - 1 / (1 - p)) < 1e-6));
  }
});

test("dropout masks are reproducible: nb.manualSeed and explicit generators", () => {
  const x = nb.ones([1000]);
  nb.manualSeed(7);
  const a = nb.dropout(x, 0.5).dataSync();
  const b = nb.dropout(x, 0.5).dataSync();
  nb.manualSeed(7);
  const c = nb.dropout(x, 0.5).dataSync();
  assert.deepEqual(c, a, "the same seed gives the same mask");
  assert.notDeepEqual(b, a, "the next draw gives a different mask");
  const g1 = nb.dropout2d(nb.ones([4, 8, 3, 3]), 0.5, true, { generator: new nb.Generator(3) }).dataSync();
  const g2 = nb.dropout2d(nb.ones([4, 8, 3, 3]), 0.5, true, { generator: new nb.Generator(3) }).dataSync();
  assert.deepEqual(g1, g2);
});

test("dropout is the identity in eval mode and for p = 0; p = 1 gives zeros (and zero gradient)", () => {
  const x = randomInput([3, 4], 1);
  for (const f of [nb.dropout, nb.alphaDropout]) {
    assert.equal(f(x, 0.5, false), x);
    assert.equal(f(x, 0), x);
  }
  assert.equal(nb.dropout2d(nb.ones([2, 3, 2, 2]), 0.5, false).shape.length, 4);
  const xg = nb.ones([2, 3], { requiresGrad: true });
  const y = nb.dropout(xg, 1);
  assertClose(y, [[0, 0, 0], [0, 0, 0]]);
  y.sum().backward();
  assertClose(xg.grad!, [[0, 0, 0], [0, 0, 0]]);
  assert.deepEqual(nb.dropout(nb.zeros([0, 3]), 0.5).shape, [0, 3]);
});

test("the gradient of dropout is the mask times 1/(1-p)", () => {
  const x = nb.randn([50, 40], { generator: new nb.Generator(2) });
  x.requiresGrad = true;
  const y = nb.dropout(x, 0.25, true, { generator: new nb.Generator(5) });
  y.sum().backward();
  const ys = y.dataSync(), gs = x.grad!.dataSync();
  for (let i = 0; i < ys.length; i++) assert.ok(Math.abs(gs[i] - (ys[i] === 0 ? 0 : 1 / 0.75)) < 1e-6);
  // With a fixed generator every call draws the same mask, so finite differences apply.
  const fresh = () => ({ generator: new nb.Generator(11) });
  gradcheck((t) => nb.dropout(t, 0.4, true, fresh()), [randomInput([4, 5], 3)], { name: "dropout" });
  gradcheck((t) => nb.dropout1d(t, 0.5, true, fresh()), [randomInput([2, 3, 4], 4)], { name: "dropout1d" });
  gradcheck((t) => nb.dropout2d(t, 0.5, true, fresh()), [randomInput([2, 3, 2, 2], 5)], { name: "dropout2d" });
  gradcheck((t) => nb.dropout3d(t, 0.5, true, fresh()), [randomInput([3, 2, 2, 2], 6)], { name: "dropout3d unbatched" });
  gradcheck((t) => nb.alphaDropout(t, 0.3, true, fresh()), [randomInput([4, 5], 7)], { name: "alphaDropout" });
  gradcheck((t) => nb.featureAlphaDropout(t, 0.3, true, fresh()), [randomInput([2, 3, 4], 8)], { name: "featureAlphaDropout" });
});

test("dropout1d/2d/3d zero whole channels, batched and unbatched, with fraction ≈ p", () => {
  const cases: [typeof nb.dropout2d, number[]][] = [
    [nb.dropout1d, [100, 200, 3]], [nb.dropout1d, [400, 5]],
    [nb.dropout2d, [100, 200, 2, 2]], [nb.dropout2d, [400, 2, 3]],
    [nb.dropout3d, [50, 400, 2, 1, 2]], [nb.dropout3d, [400, 2, 2, 1]],
  ];
  for (const [f, shape] of cases) {
    const y = f(nb.ones(shape), 0.3, true, { generator: new nb.Generator(shape.length * 13 + shape[0]) });
    const channels = shape.length === 2 || (f === nb.dropout2d && shape.length === 3) || (f === nb.dropout3d && shape.length === 4)
      ? shape[0] : shape[0] * shape[1];
    const perChannel = y.numel() / channels;
    const values = y.reshape(channels, perChannel);
    const channelMax = values.max(1), channelMin = values.min(1);
    assertClose(channelMax, channelMin, { msg: `${f.name} [${shape}]: every channel is all zero or all kept` });
    const zeroFraction = fractionZero(channelMax);
    // 400 to 20,000 channels: std at most sqrt(0.21/400) ≈ 0.023.
    assert.ok(Math.abs(zeroFraction - 0.3) < 0.1, `[${shape}] fraction of dropped channels ${zeroFraction}`);
  }
});

test("alphaDropout keeps zero mean and unit variance and only produces its two affine values", () => {
  const x = nb.randn([200000], { generator: new nb.Generator(21), dtype: "float64" });
  const p = 0.2, alpha = 1.7580993408473766;
  const a = 1 / Math.sqrt((alpha * alpha * p + 1) * (1 - p));
  const y = nb.alphaDropout(x, p, true, { generator: new nb.Generator(22) });
  assert.ok(Math.abs(y.mean().item()) < 0.01, `mean ${y.mean().item()}`);
  assert.ok(Math.abs(y.var().item() - 1) < 0.02, `variance ${y.var().item()}`);
  const xs = x.dataSync(), ys = y.dataSync();
  let dropped = 0;
  for (let i = 0; i < xs.length; i++) {
    const kept = a * xs[i] + alpha * a * p;
    const drop = alpha * a * (p - 1);
    if (Math.abs(ys[i] - drop) < 1e-12) dropped++;
    else assert.ok(Math.abs(ys[i] - kept) < 1e-12, `element ${i}: ${ys[i]} is neither ${kept} nor ${drop}`);
  }
  assert.ok(Math.abs(dropped / xs.length - p) < 0.005, `dropped fraction ${dropped / xs.length}`);
  // featureAlphaDropout drops whole channels to the same value.
  const f = nb.featureAlphaDropout(nb.zeros([30, 40, 5]), 0.5, true, { generator: new nb.Generator(23) }).reshape(1200, 5);
  assertClose(f.max(1), f.min(1));
});

test("dropout errors name the op and p or the shape", () => {
  for (const p of [1.5, -0.1, NaN]) {
    assertThrowsMatching(() => nb.dropout(nb.ones([2]), p), /^dropout: dropout probability p has to be between 0 and 1, but got/, new RegExp(String(p).replace(".", "\\.")));
  }
  assertThrowsMatching(() => nb.dropout2d(nb.ones([2, 3, 2, 2]), 2), /^dropout2d: dropout probability p/, /got 2/);
  assertThrowsMatching(() => nb.alphaDropout(nb.ones([2]), -1), /^alphaDropout:/, /got -1/);
  assertThrowsMatching(() => nb.dropout(nb.ones([2]), 1.5, false), /^dropout:/, /1\.5/);
  assertThrowsMatching(() => nb.dropout(nb.ones([2], { dtype: "int32" }), 0.5), /^dropout:/, /floating-point/);
  assertThrowsMatching(() => nb.dropout1d(nb.ones([3]), 0.5), /^dropout1d: expected a 2D .* or 3D .* input, got a 1D input of shape \[3\]/);
  assertThrowsMatching(() => nb.dropout2d(nb.ones([2, 3]), 0.5), /^dropout2d: expected a 3D/, /got a 2D input/);
  assertThrowsMatching(() => nb.dropout3d(nb.ones([2, 3, 4, 5, 6, 7]), 0.5), /^dropout3d:/, /got a 6D input/);
  assertThrowsMatching(() => nb.featureAlphaDropout(nb.ones([3]), 0.5), /^featureAlphaDropout:/, /\[3\]/);
});
