// Resampling a rectangle of each image plane to a new size, separably: per output row and column
// the two source taps and the weight of the second. Bilinear follows
// torch.nn.functional.interpolate(mode="bilinear", align_corners=False, antialias=False) and
// nearest its legacy mode="nearest" (source index floor(dst · in/out)).

import type { FloatArray } from "./image.js";

export type ResizeInterpolation = "nearest" | "bilinear";

export function checkResizeInterpolation(where: string, v: unknown): ResizeInterpolation {
  if (v === "nearest" || v === "bilinear") return v;
  throw new RangeError(`${where}: interpolation must be "bilinear" or "nearest", got ${JSON.stringify(v)}`);
}

interface AxisTaps {
  first: Int32Array;
  second: Int32Array;
  /** Weight of the second tap (the first gets 1 - this). */
  frac: Float64Array;
}

/** Source taps along one axis: a span of inSize pixels starting at start, resampled to outSize. */
function axisTaps(start: number, inSize: number, outSize: number, mode: ResizeInterpolation): AxisTaps {
  const first = new Int32Array(outSize), second = new Int32Array(outSize), frac = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let d = 0; d < outSize; d++) {
    if (mode === "nearest") {
      const i = Math.min(Math.floor(d * scale), inSize - 1);
      first[d] = second[d] = start + i;
      continue;
    }
    // Pixel centres line up (align_corners=False); positions left of the first centre clamp to it.
    const s = Math.max((d + 0.5) * scale - 0.5, 0);
    const i = Math.floor(s);
    first[d] = start + i;
    second[d] = start + (i < inSize - 1 ? i + 1 : i);
    frac[d] = s - i;
  }
  return { first, second, frac };
}

export interface Region {
  top: number;
  left: number;
  height: number;
  width: number;
}

/**
 * Resample `region` of each of c planes (h x w rows of stride w, from srcBase) to outH x outW,
 * writing c contiguous planes from dstBase.
 */
export function resampleRegion(
  src: FloatArray, srcBase: number, c: number, h: number, w: number, region: Region,
  dst: FloatArray, dstBase: number, outH: number, outW: number, mode: ResizeInterpolation,
): void {
  const rows = axisTaps(region.top, region.height, outH, mode);
  const cols = axisTaps(region.left, region.width, outW, mode);
  const { first: c0, second: c1, frac: cf } = cols;
  for (let ch = 0; ch < c; ch++) {
    const plane = srcBase + ch * h * w;
    const outPlane = dstBase + ch * outH * outW;
    for (let i = 0; i < outH; i++) {
      const r0 = plane + rows.first[i] * w, r1 = plane + rows.second[i] * w;
      const fy = rows.frac[i], gy = 1 - fy;
      const o = outPlane + i * outW;
      for (let j = 0; j < outW; j++) {
        const fx = cf[j], gx = 1 - fx;
        dst[o + j] = gy * (gx * src[r0 + c0[j]] + fx * src[r0 + c1[j]]) + fy * (gx * src[r1 + c0[j]] + fx * src[r1 + c1[j]]);
      }
    }
  }
}
