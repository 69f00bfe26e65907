// Bilinear resizing of one [C, H, W] float image, with the sampling of PyTorch's
// F.interpolate(mode="bilinear", align_corners=False): half-pixel centres, edges clamped,
// no antialiasing.

/** Source indices and weights along one axis: out[i] = src[i0]·(1 − t) + src[i1]·t. */
function axisTaps(inSize: number, outSize: number): { i0: Int32Array; i1: Int32Array; t: Float64Array } {
  const i0 = new Int32Array(outSize), i1 = new Int32Array(outSize), t = new Float64Array(outSize);
  const scale = inSize / outSize;
  for (let o = 0; o < outSize; o++) {
    const src = Math.max((o + 0.5) * scale - 0.5, 0);
    const lo = Math.min(Math.floor(src), inSize - 1);
    i0[o] = lo;
    i1[o] = Math.min(lo + 1, inSize - 1);
    t[o] = src - lo;
  }
  return { i0, i1, t };
}

/** Resize `src` ([channels, inH, inW], row-major) into `out` ([channels, outH, outW]) at `outOffset`. */
export function resizeBilinear(
  src: Float32Array, channels: number, inH: number, inW: number,
  out: Float32Array, outOffset: number, outH: number, outW: number,
): void {
  const ys = axisTaps(inH, outH), xs = axisTaps(inW, outW);
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * inW;
    for (let oy = 0; oy < outH; oy++) {
      const row0 = plane + ys.i0[oy] * inW, row1 = plane + ys.i1[oy] * inW, ty = ys.t[oy];
      const base = outOffset + (c * outH + oy) * outW;
      for (let ox = 0; ox < outW; ox++) {
        const x0 = xs.i0[ox], x1 = xs.i1[ox], tx = xs.t[ox];
        const top = src[row0 + x0] * (1 - tx) + src[row0 + x1] * tx;
        const bottom = src[row1 + x0] * (1 - tx) + src[row1 + x1] * tx;
        out[base + ox] = top * (1 - ty) + bottom * ty;
      }
    }
  }
}
