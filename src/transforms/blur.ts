// GaussianBlur: blur each image with a Gaussian of a random sigma (torchvision's
// transforms.GaussianBlur): the kernel is separable, so a pass along rows then one along columns,
// over a reflect-padded border.

import type { Tensor } from "../tensor/tensor.js";
import type { Generator } from "../tensor/random.js";
import { checkOptions } from "../core/options.js";
import { allocImages, generatorOf, lerp, readImages, toTensor, RANDOM_TRANSFORM_OPTIONS, type FloatArray, type RandomTransformOptions } from "./image.js";
import { paddedAxis } from "./padding.js";
import { Transform } from "./transform.js";

/** torchvision's 1-d kernel: exp(-x²/2σ²) at x = -(k-1)/2 … (k-1)/2, normalised to sum 1. */
export function gaussianKernel1d(size: number, sigma: number): Float64Array {
  const k = new Float64Array(size);
  const half = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) {
    const x = (i - half) / sigma;
    sum += k[i] = Math.exp(-0.5 * x * x);
  }
  for (let i = 0; i < size; i++) k[i] /= sum;
  return k;
}

/** Convolve c planes of h x w (from base) with kx along rows and ky along columns, reflect border. */
export function blurPlanes(src: FloatArray, dst: FloatArray, base: number, c: number, h: number, w: number, kx: Float64Array, ky: Float64Array): void {
  const cols = paddedAxis(w, kx.length >> 1, kx.length >> 1, "reflect");
  const rows = paddedAxis(h, ky.length >> 1, ky.length >> 1, "reflect");
  const tmp = new Float64Array(h * w), acc = new Float64Array(w), padded = new Float64Array(cols.length);
  for (let ch = 0; ch < c; ch++) {
    const p = base + ch * h * w;
    for (let i = 0; i < h; i++) {
      // Gather the padded row once, then the row pass is a plain sliding dot product.
      const row = p + i * w;
      for (let j = 0; j < cols.length; j++) padded[j] = src[row + cols[j]];
      for (let j = 0; j < w; j++) {
        let s = 0;
        for (let t = 0; t < kx.length; t++) s += kx[t] * padded[j + t];
        tmp[i * w + j] = s;
      }
    }
    for (let i = 0; i < h; i++) {
      acc.fill(0);
      for (let t = 0; t < ky.length; t++) {
        const r = rows[i + t] * w, weight = ky[t];
        for (let j = 0; j < w; j++) acc[j] += weight * tmp[r + j];
      }
      const out = p + i * w;
      for (let j = 0; j < w; j++) dst[out + j] = acc[j];
    }
  }
}

export class GaussianBlur extends Transform {
  /** [along x (width), along y (height)], as torchvision's (kx, ky). */
  readonly kernelSize: [number, number];
  readonly sigma: [number, number];
  private readonly generator?: Generator;

  /**
   * kernelSize: an odd positive integer, or [kx, ky]. sigma: a fixed standard deviation, or a
   * [min, max] range drawn from per image (default [0.1, 2]).
   */
  constructor(kernelSize: number | readonly [number, number], sigma: number | readonly [number, number] = [0.1, 2], opts: RandomTransformOptions = {}) {
    super();
    const where = "GaussianBlur";
    checkOptions(where, opts, RANDOM_TRANSFORM_OPTIONS);
    const ks = typeof kernelSize === "number" ? [kernelSize, kernelSize] : Array.isArray(kernelSize) ? [...kernelSize] : [];
    if (ks.length !== 2 || ks.some((k) => !Number.isInteger(k) || k <= 0 || k % 2 === 0)) {
      throw new RangeError(`${where}: kernelSize must be an odd positive integer or [kx, ky] of them, got ${JSON.stringify(kernelSize)}`);
    }
    this.kernelSize = [ks[0], ks[1]];
    const s = typeof sigma === "number" ? [sigma, sigma] : Array.isArray(sigma) ? [...sigma] : [];
    if (s.length !== 2 || s.some((v) => typeof v !== "number" || !Number.isFinite(v) || v <= 0) || s[0] > s[1]) {
      throw new RangeError(`${where}: sigma must be a positive number or [min, max] with 0 < min <= max, got ${JSON.stringify(sigma)}`);
    }
    this.sigma = [s[0], s[1]];
    this.generator = opts.generator;
  }

  apply(x: Tensor): Tensor {
    const where = "GaussianBlur";
    const img = readImages(where, x);
    const { n, c, h, w } = img;
    const u = generatorOf(where, this.generator).hostUniform(n);
    const out = allocImages(img, c, h, w);
    for (let b = 0; b < n; b++) {
      const sigma = lerp(u[b], ...this.sigma);
      const kx = gaussianKernel1d(this.kernelSize[0], sigma), ky = gaussianKernel1d(this.kernelSize[1], sigma);
      blurPlanes(img.data, out, b * c * h * w, c, h, w, kx, ky);
    }
    return toTensor(img, out, c, h, w);
  }
}
