// The inverse-mapping sampler behind RandomRotation and RandomAffine: for every output pixel,
// find where it comes from in the input (an inverse affine map about the image centre) and read
// the input there, by nearest neighbour or bilinear interpolation. Points outside the input
// read the fill value: a bilinear tap outside the image contributes fill with its weight. (This
// equals torchvision with fill=None, i.e. zero padding, for fill 0; for bilinear sampling with a
// fill, torchvision instead blends the zero-padded sample with fill through a resampled mask, so
// border pixels differ slightly. Nearest sampling agrees exactly.)
//
// Coordinates follow torchvision's tensor path (grid_sample with align_corners=False): pixel
// (i, j) has centred coordinates x = j + 0.5 - w/2, y = i + 0.5 - h/2, the matrix maps output
// centred coordinates to input centred ones, and input centred x' is pixel column x' + w/2 - 0.5.

import type { FloatArray } from "./image.js";

export type Interpolation = "nearest" | "bilinear";

export function checkInterpolation(where: string, v: unknown): Interpolation {
  if (v === "nearest" || v === "bilinear") return v;
  throw new RangeError(`${where}: interpolation must be "nearest" or "bilinear", got ${JSON.stringify(v)}`);
}

/**
 * torchvision's inverse affine matrix (row-major 2x3) of
 *   M = T(translate) · C · Rotate(angle) · Scale(scale) · ShearY(shear[1]) · ShearX(shear[0]) · C⁻¹,
 * angle and shear in degrees. With y pointing down, a positive angle turns the picture
 * clockwise; center is in centred coordinates (0, 0 is the image centre).
 */
export function inverseAffineMatrix(
  angle: number, translate: readonly [number, number], scale: number, shear: readonly [number, number], center: readonly [number, number] = [0, 0],
): number[] {
  const rad = Math.PI / 180;
  const rot = angle * rad, sx = shear[0] * rad, sy = shear[1] * rad;
  const [cx, cy] = center, [tx, ty] = translate;
  // Rotate·ShearY·ShearX without the scale; its determinant is 1, so its inverse is the adjugate.
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d / scale, -b / scale, 0, -c / scale, a / scale, 0];
  m[2] = m[0] * (-cx - tx) + m[1] * (-cy - ty) + cx;
  m[5] = m[3] * (-cx - tx) + m[4] * (-cy - ty) + cy;
  return m;
}

/**
 * Warp one image of c planes (h x w, contiguous, starting at srcBase / dstBase) through the
 * inverse matrix m into an output of the same size.
 */
export function warpAffine(
  src: FloatArray, srcBase: number, dst: FloatArray, dstBase: number,
  c: number, h: number, w: number, m: readonly number[], interpolation: Interpolation, fill: readonly number[],
): void {
  const plane = h * w;
  const [m0, m1, m2, m3, m4, m5] = m;
  // Fold the centring shifts into the matrix: pixel (i, j) → input column/row directly.
  const ox = m2 + w / 2 - 0.5, oy = m5 + h / 2 - 0.5;
  for (let i = 0; i < h; i++) {
    const y = i + 0.5 - h / 2;
    for (let j = 0; j < w; j++) {
      const x = j + 0.5 - w / 2;
      const ix = m0 * x + m1 * y + ox, iy = m3 * x + m4 * y + oy;
      const o = dstBase + i * w + j;
      if (interpolation === "nearest") {
        const xn = nearbyInt(ix), yn = nearbyInt(iy);
        if (xn >= 0 && xn < w && yn >= 0 && yn < h) {
          const s = srcBase + yn * w + xn;
          for (let ch = 0; ch < c; ch++) dst[o + ch * plane] = src[s + ch * plane];
        } else {
          for (let ch = 0; ch < c; ch++) dst[o + ch * plane] = fill[ch];
        }
        continue;
      }
      const x0 = Math.floor(ix), y0 = Math.floor(iy);
      const fx = ix - x0, fy = iy - y0;
      // Each of the four taps: its weight, and its offset or -1 when it falls outside (reads fill).
      const in00 = x0 >= 0 && x0 < w && y0 >= 0 && y0 < h;
      const in01 = x0 + 1 >= 0 && x0 + 1 < w && y0 >= 0 && y0 < h;
      const in10 = x0 >= 0 && x0 < w && y0 + 1 >= 0 && y0 + 1 < h;
      const in11 = x0 + 1 >= 0 && x0 + 1 < w && y0 + 1 >= 0 && y0 + 1 < h;
      const w00 = (1 - fx) * (1 - fy), w01 = fx * (1 - fy), w10 = (1 - fx) * fy, w11 = fx * fy;
      const wOut = (in00 ? 0 : w00) + (in01 ? 0 : w01) + (in10 ? 0 : w10) + (in11 ? 0 : w11);
      const s = srcBase + y0 * w + x0;
      for (let ch = 0; ch < c; ch++) {
        const p = s + ch * plane;
        let v = wOut * fill[ch];
        if (in00) v += w00 * src[p];
        if (in01) v += w01 * src[p + 1];
        if (in10) v += w10 * src[p + w];
        if (in11) v += w11 * src[p + w + 1];
        dst[o + ch * plane] = v;
      }
    }
  }
}

/** Round to the nearest integer, halves to even (C's nearbyint, which grid_sample uses). */
function nearbyInt(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}
