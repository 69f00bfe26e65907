import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose, gradcheck, randomInput, assertThrowsMatching } from "../helpers/assert.js";

// ---------------------------------------------------------------------------------------------
// PyTorch references (scripts/fixtures/interpolate.py)

interface Fixture {
  name: string;
  op: "interpolate" | "pixelShuffle" | "pixelUnshuffle";
  options: nb.InterpolateOptions & { factor?: number };
  input: { shape: number[]; data: number[] };
  output: { shape: number[]; data: number[] };
  output32?: number[];
  gradOutput: number[];
  gradInput: number[];
  /** torch's bicubic backward copies when the size is unchanged, unlike its forward: not compared. */
  torchGradQuirk?: boolean;
}

const fixtures = JSON.parse(readFileSync(new URL("../fixtures/interpolate.json", import.meta.url), "utf8")) as { cases: Fixture[] };
const num = (d: number[]): Float64Array => Float64Array.from(d);

function run(x: nb.Tensor, c: Fixture): nb.Tensor {
  if (c.op === "pixelShuffle") return nb.pixelShuffle(x, c.options.factor!);
  if (c.op === "pixelUnshuffle") return nb.pixelUnshuffle(x, c.options.factor!);
  return nb.interpolate(x, c.options);
}

// The native backend when it loads, and the pure-TypeScript one always.
const DEVICES = ["cpu", ...(nb.backends().includes("native") ? ["native"] : [])];

test("fixtures cover every mode, both alignCorners, size and scale factors", () => {
  const modes = new Set(fixtures.cases.filter((c) => c.op === "interpolate").map((c) => c.options.mode ?? "nearest"));
  for (const m of ["nearest", "linear", "bilinear", "bicubic", "trilinear"]) assert.ok(modes.has(m as nb.InterpolateMode), `no torch reference for ${m}`);
  assert.ok(fixtures.cases.some((c) => c.options.alignCorners === true));
  assert.ok(fixtures.cases.some((c) => Array.isArray(c.options.scaleFactor)));
  assert.ok(fixtures.cases.some((c) => c.op === "pixelShuffle") && fixtures.cases.some((c) => c.op === "pixelUnshuffle"));
});

for (const device of DEVICES) {
  test(`values and input gradients match PyTorch (float64, ${device})`, () => {
    for (const c of fixtures.cases) {
      const x = nb.tensor(num(c.input.data), { shape: c.input.shape, dtype: "float64", requiresGrad: true, device });
      const y = run(x, c);
      assert.deepEqual(y.shape, c.output.shape, `${c.name}: output shape`);
      assertClose(y, num(c.output.data), { rtol: 1e-10, atol: 1e-10, msg: `${c.name} values` });
      if (c.torchGradQuirk) continue;
      y.backward(nb.tensor(num(c.gradOutput), { shape: c.output.shape, dtype: "float64", device }));
      assertClose(x.grad!, num(c.gradInput), { rtol: 1e-10, atol: 1e-10, msg: `${c.name} input gradient` });
    }
  });

  test(`values match PyTorch's float32 kernels (${device})`, () => {
    for (const c of fixtures.cases) {
      const x = nb.tensor(Float32Array.from(c.input.data), { shape: c.input.shape, device });
      const y = run(x, c);
      assert.equal(y.dtype, "float32");
      assertClose(y, num(c.output32 ?? c.output.data), { rtol: 1e-5, atol: 1e-5, msg: `${c.name} float32 values` });
    }
  });
}

// ---------------------------------------------------------------------------------------------
// small cases worked by hand, and finite differences

test("nearest doubling repeats each element; linear with alignCorners hits the corners", () => {
  assertClose(nb.interpolate(nb.tensor([[[1, 2, 3]]]), { scaleFactor: 2 }), [[[1, 1, 2, 2, 3, 3]]]);
  assertClose(nb.interpolate(nb.tensor([[[0, 4]]]), { size: 5, mode: "linear", alignCorners: true }), [[[0, 1, 2, 3, 4]]]);
  // Without alignCorners the half-pixel rule clamps at the borders: [0, 1, 3, 4].
  assertClose(nb.interpolate(nb.tensor([[[0, 4]]]), { size: 4, mode: "linear" }), [[[0, 1, 3, 4]]]);
  assert.deepEqual(nb.interpolate(nb.zeros([1, 1, 5, 7]), { scaleFactor: [1.5, 0.5], mode: "bilinear" }).shape, [1, 1, 7, 3]);
});

test("gradients match finite differences", () => {
  gradcheck((x) => nb.interpolate(x, { size: [4, 5], mode: "bicubic" }), [randomInput([1, 1, 3, 3], 1)], { name: "bicubic" });
  gradcheck((x) => nb.interpolate(x, { scaleFactor: 1.5, mode: "trilinear", alignCorners: true }), [randomInput([1, 1, 2, 3, 2], 2)], { name: "trilinear" });
  gradcheck((x) => nb.pixelShuffle(x, 2), [randomInput([1, 4, 2, 3], 3)], { name: "pixelShuffle" });
});

test("errors name the op and the numbers", () => {
  const x4 = nb.zeros([1, 1, 4, 4]);
  assertThrowsMatching(() => nb.interpolate(x4, { size: 2, scaleFactor: 2 }), /^interpolate: give exactly one of size and scaleFactor, got both/);
  assertThrowsMatching(() => nb.interpolate(x4, {}), /^interpolate: give exactly one of size and scaleFactor, got neither/);
  assertThrowsMatching(() => nb.interpolate(x4, { scaleFactor: 0 }), /^interpolate: scaleFactor must be positive, got 0/);
  assertThrowsMatching(() => nb.interpolate(x4, { scaleFactor: [2, -1] }), /^interpolate: scaleFactor must be positive, got \[2, -1\]/);
  assertThrowsMatching(() => nb.interpolate(x4, { scaleFactor: 0.1 }), /^interpolate: scaleFactor 0\.1 gives an empty output for input size \[4, 4\]/);
  assertThrowsMatching(() => nb.interpolate(x4, { size: 2, mode: "linear" }), /^interpolate: mode "linear" takes a 3-d input \[N, C, L\], got 4-d shape \[1, 1, 4, 4\]/);
  assertThrowsMatching(() => nb.interpolate(nb.zeros([1, 4, 4]), { size: 2, mode: "bicubic" }), /^interpolate: mode "bicubic" takes a 4-d input/);
  assertThrowsMatching(() => nb.interpolate(nb.zeros([4, 4]), { size: 2 }), /^interpolate: mode "nearest" takes a 3-d, 4-d or 5-d input/);
  assertThrowsMatching(() => nb.interpolate(x4, { size: 2, alignCorners: false }), /^interpolate: alignCorners can only be set with the interpolating modes/);
  assertThrowsMatching(() => nb.interpolate(x4, { size: [2, 2, 2] }), /^interpolate: size must be an integer or 2 of them/);
  assertThrowsMatching(() => nb.interpolate(x4, { size: 2, mode: "area" as nb.InterpolateMode }), /^interpolate: mode must be one of/);
  assertThrowsMatching(() => nb.interpolate(x4, { scale_factor: 2 } as nb.InterpolateOptions), /scale_factor/, /scaleFactor/);
  assertThrowsMatching(() => nb.pixelShuffle(nb.zeros([1, 6, 2, 2]), 2), /^pixelShuffle: channels 6 must be divisible by upscaleFactor² = 4/);
  assertThrowsMatching(() => nb.pixelUnshuffle(nb.zeros([1, 1, 4, 5]), 2), /^pixelUnshuffle: height 4 and width 5 must be divisible by downscaleFactor 2/);
});

// ---------------------------------------------------------------------------------------------
// layers

test("Upsample, PixelShuffle, PixelUnshuffle and Unflatten layers", () => {
  const x = randomInput([2, 8, 3, 4], 7).requiresGrad_();
  const up = new nb.nn.Upsample({ scaleFactor: 2, mode: "bilinear", alignCorners: true });
  assertClose(up.forward(x), nb.interpolate(x, { scaleFactor: 2, mode: "bilinear", alignCorners: true }));
  assert.match(up.toString(), /scaleFactor=2, mode="bilinear", alignCorners=true/);
  assert.deepEqual(new nb.nn.Upsample({ size: [5, 6] }).forward(x).shape, [2, 8, 5, 6]);
  assertThrowsMatching(() => new nb.nn.Upsample({ scale_factor: 2 } as nb.nn.UpsampleOptions), /^Upsample: .*scale_factor.*scaleFactor/);
  assertThrowsMatching(() => new nb.nn.Upsample({}), /^Upsample: give exactly one of size and scaleFactor, got neither/);

  const ps = new nb.nn.PixelShuffle(2);
  const y = ps.forward(x);
  assert.deepEqual(y.shape, [2, 2, 6, 8]);
  // Unshuffle undoes shuffle, and the gradient of the round trip is the identity.
  const back = new nb.nn.PixelUnshuffle(2).forward(y);
  assertClose(back, x);
  back.sum().backward();
  assertClose(x.grad!, nb.onesLike(x));
  assertThrowsMatching(() => new nb.nn.PixelShuffle(0), /^PixelShuffle: upscaleFactor must be a positive integer, got 0/);

  const flat = randomInput([3, 24], 8).requiresGrad_();
  const u = new nb.nn.Unflatten(1, [2, 3, 4]).forward(flat);
  assert.deepEqual(u.shape, [3, 2, 3, 4]);
  assertClose(u.reshape([3, 24]), flat);
  u.mul(2).sum().backward();
  assertClose(flat.grad!, nb.fullLike(flat, 2));
});

test("an unchanged size gives a new tensor equal to the input", () => {
  const x = randomInput([1, 2, 3, 4], 9);
  for (const mode of ["nearest", "bilinear", "bicubic"] as const) {
    const y = nb.interpolate(x, { size: [3, 4], mode });
    assert.notEqual(y, x);
    assertClose(y, x, { rtol: 1e-12, atol: 1e-12 });
  }
});
