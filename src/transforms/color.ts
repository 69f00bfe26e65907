// Photometric adjustments with torchvision's definitions (transforms.functional.adjust_*), for
// float images in [0, 1]: results are clamped to [0, 1]. The kernels work in place on one image
// (c planes from `base`); the exported functions apply one factor to every image of a tensor.

import type { Tensor } from "../tensor/tensor.js";
import { allocImages, checkFinite, readImages, toTensor, type FloatArray } from "./image.js";

const clamp01 = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** ITU-R 601-2 luma, torchvision's rgb_to_grayscale weights. */
const lumaOf = (r: number, g: number, b: number): number => 0.2989 * r + 0.587 * g + 0.114 * b;

export function brightnessInPlace(a: FloatArray, base: number, c: number, plane: number, factor: number): void {
  for (let k = base; k < base + c * plane; k++) a[k] = clamp01(factor * a[k]);
}

/** Blend with the mean grey level of the image (of its luma for RGB). */
export function contrastInPlace(a: FloatArray, base: number, c: number, plane: number, factor: number): void {
  let sum = 0;
  if (c === 3) for (let k = base; k < base + plane; k++) sum += lumaOf(a[k], a[k + plane], a[k + 2 * plane]);
  else for (let k = base; k < base + c * plane; k++) sum += a[k];
  const mean = sum / (c === 3 ? plane : c * plane);
  const offset = (1 - factor) * mean;
  for (let k = base; k < base + c * plane; k++) a[k] = clamp01(factor * a[k] + offset);
}

/** Blend each pixel with its own grey level (RGB only). */
export function saturationInPlace(a: FloatArray, base: number, plane: number, factor: number): void {
  for (let k = base; k < base + plane; k++) {
    const r = a[k], g = a[k + plane], b = a[k + 2 * plane];
    const grey = (1 - factor) * lumaOf(r, g, b);
    a[k] = clamp01(factor * r + grey);
    a[k + plane] = clamp01(factor * g + grey);
    a[k + 2 * plane] = clamp01(factor * b + grey);
  }
}

/** Rotate the hue by shift (a fraction of the colour circle, in [-0.5, 0.5]) in HSV (RGB only). */
export function hueInPlace(a: FloatArray, base: number, plane: number, shift: number): void {
  for (let k = base; k < base + plane; k++) {
    const r = a[k], g = a[k + plane], b = a[k + 2 * plane];
    // RGB → HSV as torchvision's _rgb2hsv.
    const maxc = Math.max(r, g, b), minc = Math.min(r, g, b);
    const chroma = maxc - minc;
    const equal = maxc === minc;
    const s = chroma / (equal ? 1 : maxc);
    const div = equal ? 1 : chroma;
    const rc = (maxc - r) / div, gc = (maxc - g) / div, bc = (maxc - b) / div;
    let h = maxc === r ? bc - gc : maxc === g ? 2 + rc - bc : 4 + gc - rc;
    h = (h / 6 + 1) % 1;
    h = (((h + shift) % 1) + 1) % 1;
    // HSV → RGB as torchvision's _hsv2rgb.
    const v = maxc;
    const i6 = Math.floor(h * 6);
    const f = h * 6 - i6;
    const p = clamp01(v * (1 - s)), q = clamp01(v * (1 - s * f)), t = clamp01(v * (1 - s * (1 - f)));
    const p1 = k + plane, p2 = k + 2 * plane;
    switch (((i6 % 6) + 6) % 6) {
      case 0: a[k] = v; a[p1] = t; a[p2] = p; break;
      case 1: a[k] = q; a[p1] = v; a[p2] = p; break;
      case 2: a[k] = p; a[p1] = v; a[p2] = t; break;
      case 3: a[k] = p; a[p1] = q; a[p2] = v; break;
      case 4: a[k] = t; a[p1] = p; a[p2] = v; break;
      default: a[k] = v; a[p1] = p; a[p2] = q;
    }
  }
}

export function checkColorChannels(where: string, c: number, needsRgb: string | null): void {
  if (c !== 1 && c !== 3) throw new RangeError(`${where}: expected 1 (grayscale) or 3 (RGB) channels, got ${c}`);
  if (c === 1 && needsRgb) {
    throw new RangeError(`${where}: ${needsRgb} ${needsRgb.includes(" and ") ? "need" : "needs"} RGB images (3 channels), got 1 channel; grayscale images take brightness and contrast only`);
  }
}

function adjust(where: string, x: Tensor, needsRgb: string | null, kernel: (a: FloatArray, base: number, c: number, plane: number) => void): Tensor {
  const img = readImages(where, x);
  const { n, c, h, w } = img;
  checkColorChannels(where, c, needsRgb);
  const out = allocImages(img, c, h, w);
  out.set(img.data);
  for (let b = 0; b < n; b++) kernel(out, b * c * h * w, c, h * w);
  return toTensor(img, out, c, h, w);
}

function nonNegative(where: string, factor: number): number {
  if (checkFinite(where, "factor", factor) < 0) throw new RangeError(`${where}: factor must be non-negative, got ${factor}`);
  return factor;
}

/** Multiply by factor (0 gives black, 1 the original). */
export function adjustBrightness(x: Tensor, factor: number): Tensor {
  nonNegative("adjustBrightness", factor);
  return adjust("adjustBrightness", x, null, (a, base, c, plane) => brightnessInPlace(a, base, c, plane, factor));
}

/** Blend with the image's mean grey (0 gives a flat grey image, 1 the original). */
export function adjustContrast(x: Tensor, factor: number): Tensor {
  nonNegative("adjustContrast", factor);
  return adjust("adjustContrast", x, null, (a, base, c, plane) => contrastInPlace(a, base, c, plane, factor));
}

/** Blend with the pixel's grey (0 gives grayscale, 1 the original); RGB only. */
export function adjustSaturation(x: Tensor, factor: number): Tensor {
  nonNegative("adjustSaturation", factor);
  return adjust("adjustSaturation", x, "saturation", (a, base, _c, plane) => saturationInPlace(a, base, plane, factor));
}

/** Shift the hue by factor in [-0.5, 0.5] of a full turn; RGB only. */
export function adjustHue(x: Tensor, factor: number): Tensor {
  if (!(checkFinite("adjustHue", "factor", factor) >= -0.5 && factor <= 0.5)) throw new RangeError(`adjustHue: factor must be in [-0.5, 0.5], got ${factor}`);
  return adjust("adjustHue", x, "hue", (a, base, _c, plane) => hueInPlace(a, base, plane, factor));
}
