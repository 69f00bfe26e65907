// The colour spaces selective search diversifies over (Uijlings et al. 2013, section 3.2), each
// computed from RGB in [0, 1] and scaled back to [0, 1] per channel, so that the segmentation's
// k and the histograms' bins mean the same in every space. They differ in their invariances:
// RGB has none, I (intensity) and Lab's L follow shadows, normalised rg and hue (H) ignore them.

export type ColourSpace = "RGB" | "HSV" | "Lab" | "rgI" | "H" | "I";
export const COLOUR_SPACES: readonly ColourSpace[] = ["RGB", "HSV", "Lab", "rgI", "H", "I"];

/** The image's channels in `space` (1 or 3 arrays of height·width values in [0, 1]). */
export function convertColourSpace(rgb: readonly Float32Array[], space: ColourSpace): Float32Array[] {
  const [r, g, b] = rgb;
  const n = r.length;
  switch (space) {
    case "RGB":
      return rgb.map((c) => c.slice());
    case "I": {
      const i = new Float32Array(n);
      for (let p = 0; p < n; p++) i[p] = (r[p] + g[p] + b[p]) / 3;
      return [i];
    }
    case "rgI": {
      const nr = new Float32Array(n), ng = new Float32Array(n), i = new Float32Array(n);
      for (let p = 0; p < n; p++) {
        const s = r[p] + g[p] + b[p];
        nr[p] = s > 0 ? r[p] / s : 1 / 3;
        ng[p] = s > 0 ? g[p] / s : 1 / 3;
        i[p] = s / 3;
      }
      return [nr, ng, i];
    }
    case "HSV":
    case "H": {
      const h = new Float32Array(n), sat = new Float32Array(n), v = new Float32Array(n);
      for (let p = 0; p < n; p++) {
        const max = Math.max(r[p], g[p], b[p]), min = Math.min(r[p], g[p], b[p]), d = max - min;
        v[p] = max;
        sat[p] = max > 0 ? d / max : 0;
        h[p] = hue(r[p], g[p], b[p], max, d);
      }
      return space === "H" ? [h] : [h, sat, v];
    }
    case "Lab":
      return lab(r, g, b);
  }
}

/** Hue in [0, 1) (0 for greys). */
function hue(r: number, g: number, b: number, max: number, d: number): number {
  if (d === 0) return 0;
  let h: number;
  if (max === r) h = (g - b) / d;
  else if (max === g) h = 2 + (b - r) / d;
  else h = 4 + (r - g) / d;
  h /= 6;
  return h < 0 ? h + 1 : h;
}

const linearise = (c: number): number => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
const labF = (t: number): number => (t > 216 / 24389 ? Math.cbrt(t) : t * (841 / 108) + 4 / 29);
const unit = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);

/** CIE L*a*b* of sRGB under D65; L/100 and (a, b + 128)/255 put each channel in [0, 1]. */
function lab(r: Float32Array, g: Float32Array, b: Float32Array): Float32Array[] {
  const n = r.length;
  const L = new Float32Array(n), A = new Float32Array(n), B = new Float32Array(n);
  for (let p = 0; p < n; p++) {
    const lr = linearise(r[p]), lg = linearise(g[p]), lb = linearise(b[p]);
    const x = (0.4124564 * lr + 0.3575761 * lg + 0.1804375 * lb) / 0.95047;
    const y = 0.2126729 * lr + 0.7151522 * lg + 0.072175 * lb;
    const z = (0.0193339 * lr + 0.119192 * lg + 0.9503041 * lb) / 1.08883;
    const fx = labF(x), fy = labF(y), fz = labF(z);
    L[p] = unit((116 * fy - 16) / 100);
    A[p] = unit((500 * (fx - fy) + 128) / 255);
    B[p] = unit((200 * (fy - fz) + 128) / 255);
  }
  return [L, A, B];
}
