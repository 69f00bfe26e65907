// Separable Gaussian filtering of one image channel (a Float32Array of height·width values, row
// by row): the smoothing Felzenszwalb–Huttenlocher segment on and the Gaussian derivatives the
// texture features of selective search are histograms of. Borders replicate the edge pixel.

/** A normalised Gaussian of standard deviation sigma, radius ceil(4σ) (at least 1 tap). */
export function gaussianKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(4 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let total = 0;
  for (let i = -radius; i <= radius; i++) total += k[i + radius] = Math.exp(-(i * i) / (2 * sigma * sigma));
  for (let i = 0; i < k.length; i++) k[i] /= total;
  return k;
}

/** The derivative of the Gaussian (−x/σ²·g(x)), scaled so that a unit ramp has derivative 1. */
export function gaussianDerivativeKernel(sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(4 * sigma));
  const k = new Float32Array(2 * radius + 1);
  let ramp = 0;
  for (let i = -radius; i <= radius; i++) {
    // Correlation form: output(x) = Σ_i k[i]·f(x + i), so k[i] ∝ +i·g(i) gives f'(x) on a ramp.
    const v = i * Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    ramp += v * i;
  }
  for (let i = 0; i < k.length; i++) k[i] /= ramp;
  return k;
}

/** Correlate rows with kx, then columns with ky (replicated borders). */
export function filterSeparable(src: Float32Array, width: number, height: number, kx: Float32Array, ky: Float32Array): Float32Array {
  const tmp = new Float32Array(width * height);
  for (let y = 0; y < height; y++) correlateLine(src, tmp, y * width, 1, width, kx);
  const out = new Float32Array(width * height);
  for (let x = 0; x < width; x++) correlateLine(tmp, out, x, width, height, ky);
  return out;
}

/** One row or column (start, stride, length) of src correlated with k into dst; the interior skips the border clamp. */
function correlateLine(src: Float32Array, dst: Float32Array, start: number, stride: number, length: number, k: Float32Array): void {
  const r = (k.length - 1) / 2;
  for (let i = 0; i < length; i++) {
    let s = 0;
    if (i >= r && i + r < length) {
      let p = start + (i - r) * stride;
      for (let j = 0; j < k.length; j++, p += stride) s += k[j] * src[p];
    } else {
      for (let j = -r; j <= r; j++) {
        const ii = i + j < 0 ? 0 : i + j >= length ? length - 1 : i + j;
        s += k[j + r] * src[start + ii * stride];
      }
    }
    dst[start + i * stride] = s;
  }
}

/** Gaussian smoothing with standard deviation sigma (sigma 0 returns a copy). */
export function gaussianSmooth(src: Float32Array, width: number, height: number, sigma: number): Float32Array {
  if (sigma === 0) return src.slice();
  const k = gaussianKernel(sigma);
  return filterSeparable(src, width, height, k, k);
}
