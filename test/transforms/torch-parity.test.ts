// nb.transforms against torchvision's tensor functions (fixtures from scripts/fixtures/transforms.py).

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import * as nb from "../../src/index.js";
import { assertClose } from "../helpers/assert.js";
import { resampleRegion } from "../../src/transforms/resample.js";
import { copyWindow, paddedAxis, type PaddingMode } from "../../src/transforms/padding.js";

const T = nb.transforms;
interface Case { shape: number[]; input: number[]; outShape: number[]; output: number[]; [k: string]: unknown }
const fx = JSON.parse(readFileSync(new URL("../fixtures/transforms.json", import.meta.url), "utf8")) as Record<string, Case[]>;
const input = (c: Case, dtype: "float32" | "float64" = "float64") => nb.tensor(Float64Array.from(c.input), { shape: c.shape, dtype });
const expected = (c: Case) => nb.tensor(Float64Array.from(c.output), { shape: c.outShape, dtype: "float64" });
// float64 on both sides: only rounding order differs.
const tight = { rtol: 1e-9, atol: 1e-12 };

test("Resize matches torch interpolate (bilinear, align_corners=False, no antialias; legacy nearest)", () => {
  assert.equal(fx.resize.length, 7);
  for (const c of fx.resize) {
    const size = c.size as number | [number, number];
    const t = new T.Resize(size, { interpolation: c.interpolation as "bilinear" | "nearest", maxSize: (c.maxSize as number | null) ?? undefined });
    assertClose(t.apply(input(c)), expected(c), { ...tight, msg: `Resize(${JSON.stringify(size)}, ${c.interpolation}) of ${JSON.stringify(c.shape)}` });
    // float32 images give the same picture to float32 precision, and stay float32.
    const y32 = t.apply(input(c, "float32"));
    assert.equal(y32.dtype, "float32");
    assertClose(y32, expected(c).to("float32"), { rtol: 1e-5, atol: 1e-6 });
  }
});

test("GaussianBlur with a fixed sigma matches torchvision's gaussian_blur (reflect border)", () => {
  for (const c of fx.blur) {
    const t = new T.GaussianBlur(c.kernelSize as [number, number], c.sigma as number);
    // torchvision builds the kernel in float32 before casting it to the image's float64: 1e-7 relative.
    assertClose(t.apply(input(c)), expected(c), { rtol: 1e-6, atol: 1e-9, msg: `GaussianBlur(${JSON.stringify(c.kernelSize)}, ${c.sigma})` });
  }
});

test("affine and rotate match torchvision's F.affine / F.rotate", () => {
  for (const c of fx.affine) {
    const y = T.affine(input(c), {
      angle: c.angle as number, translate: c.translate as [number, number], scale: c.scale as number, shear: c.shear as [number, number],
      interpolation: c.interpolation as "bilinear" | "nearest", fill: c.fill as number | number[], center: (c.center as [number, number] | null) ?? undefined,
    });
    assertClose(y, expected(c), { ...tight, msg: `affine ${JSON.stringify({ angle: c.angle, shear: c.shear, center: c.center })}` });
  }
  for (const c of fx.rotate) {
    const y = T.rotate(input(c), c.angle as number, { interpolation: c.interpolation as "bilinear" | "nearest", fill: c.fill as number | number[] });
    assertClose(y, expected(c), { ...tight, msg: `rotate ${c.angle}` });
  }
});

test("fixed-range RandomAffine / RandomRotation equal the functional forms", () => {
  const c = fx.affine[2];
  const t = new T.RandomAffine({ degrees: [17, 17], shear: [-8, -8, 5, 5], interpolation: "nearest", fill: c.fill as number[] });
  assertClose(t.apply(input(c)), T.affine(input(c), { angle: 17, shear: [-8, 5], interpolation: "nearest", fill: c.fill as number[] }), tight);
  const r = fx.rotate[1];
  assertClose(new T.RandomRotation([33, 33], { interpolation: "bilinear" }).apply(input(r)), expected(r), tight);
});

test("adjustBrightness / Contrast / Saturation / Hue match torchvision", () => {
  const fns = { brightness: T.adjustBrightness, contrast: T.adjustContrast, saturation: T.adjustSaturation, hue: T.adjustHue };
  for (const c of fx.color) {
    const y = fns[c.op as keyof typeof fns](input(c), c.factor as number);
    assertClose(y, expected(c), { rtol: 1e-9, atol: 1e-9, msg: `adjust ${c.op} ${c.factor} on ${JSON.stringify(c.shape)}` });
  }
});

test("CenterCrop matches torchvision (half-even offsets, zero padding when larger)", () => {
  for (const c of fx.centerCrop) {
    assertClose(new T.CenterCrop(c.size as [number, number]).apply(input(c)), expected(c), { rtol: 0, atol: 0, msg: `CenterCrop ${JSON.stringify(c.size)}` });
  }
});

test("the crop-and-resize sampler matches torchvision's resized_crop", () => {
  for (const c of fx.resizedCrop) {
    const [top, left, height, width] = c.region as number[];
    const [oh, ow] = c.size as number[];
    const [ch, h, w] = c.shape;
    const out = new Float64Array(ch * oh * ow);
    resampleRegion(Float64Array.from(c.input), 0, ch, h, w, { top, left, height, width }, out, 0, oh, ow, "bilinear");
    assertClose(nb.tensor(out), c.output, tight);
  }
});

test("padding index maps match torchvision's pad modes", () => {
  for (const c of fx.pad) {
    const [l, t, r, b] = c.padding as number[];
    const [ch, h, w] = c.shape;
    const mode = c.mode as PaddingMode;
    const rows = paddedAxis(h, t, b, mode), cols = paddedAxis(w, l, r, mode);
    const out = new Float64Array(ch * rows.length * cols.length);
    copyWindow(Float64Array.from(c.input), 0, ch, h, w, rows, cols, 0, 0, rows.length, cols.length, out, 0, [c.fill as number, c.fill as number]);
    assert.deepEqual([ch, rows.length, cols.length], c.outShape);
    assertClose(nb.tensor(out), c.output, { rtol: 0, atol: 0, msg: `pad ${mode}` });
  }
});
