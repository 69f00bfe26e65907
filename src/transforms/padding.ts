// Padding as index maps: for each position along one axis of a padded image, the source index it
// reads, or -1 for the fill value. Crops read through these maps, so padding never materialises
// an intermediate image. Modes are torchvision's: constant, edge, reflect (mirror without
// repeating the edge pixel) and symmetric (mirror repeating it).

export type PaddingMode = "constant" | "edge" | "reflect" | "symmetric";
const MODES: readonly PaddingMode[] = ["constant", "edge", "reflect", "symmetric"];

export function checkPaddingMode(where: string, v: unknown): PaddingMode {
  if (MODES.includes(v as PaddingMode)) return v as PaddingMode;
  throw new RangeError(`${where}: paddingMode must be one of ${MODES.map((m) => `"${m}"`).join(", ")}, got ${JSON.stringify(v)}`);
}

/** [left, top, right, bottom] from torchvision's forms: n, [leftRight, topBottom] or [l, t, r, b]. */
export function paddingLTRB(where: string, p: number | readonly number[]): [number, number, number, number] {
  const v = typeof p === "number" ? [p, p, p, p] : !Array.isArray(p) ? [] : p.length === 2 ? [p[0], p[1], p[0], p[1]] : p.length === 4 ? [...p] : [];
  if (v.length !== 4 || v.some((e) => !Number.isInteger(e) || e < 0)) {
    throw new RangeError(`${where}: padding must be a non-negative integer, [leftRight, topBottom] or [left, top, right, bottom], got ${JSON.stringify(p)}`);
  }
  return [v[0], v[1], v[2], v[3]];
}

/** Index map of an axis of `size` pixels padded by `before` and `after`. */
export function paddedAxis(size: number, before: number, after: number, mode: PaddingMode): Int32Array {
  const map = new Int32Array(size + before + after);
  for (let p = 0; p < map.length; p++) map[p] = sourceIndex(p - before, size, mode);
  return map;
}

/** Pad an existing index map again (torchvision pads in steps; later steps mirror the padded image). */
export function padAgain(map: Int32Array, before: number, after: number, mode: PaddingMode): Int32Array {
  const inner = paddedAxis(map.length, before, after, mode);
  return inner.map((i) => (i < 0 ? -1 : map[i]));
}

function sourceIndex(i: number, n: number, mode: PaddingMode): number {
  if (i >= 0 && i < n) return i;
  switch (mode) {
    case "constant":
      return -1;
    case "edge":
      return i < 0 ? 0 : n - 1;
    case "reflect": {
      if (n === 1) return 0;
      const period = 2 * (n - 1);
      const k = ((i % period) + period) % period;
      return k < n ? k : period - k;
    }
    case "symmetric": {
      const period = 2 * n;
      const k = ((i % period) + period) % period;
      return k < n ? k : period - 1 - k;
    }
  }
}

/** Copy the window rows[top..top+th) x cols[left..left+tw) of c planes into dst, -1 reading fill. */
export function copyWindow(
  src: Float32Array | Float64Array, srcBase: number, c: number, h: number, w: number,
  rows: Int32Array, cols: Int32Array, top: number, left: number, th: number, tw: number,
  dst: Float32Array | Float64Array, dstBase: number, fill: readonly number[],
): void {
  for (let ch = 0; ch < c; ch++) {
    const plane = srcBase + ch * h * w, outPlane = dstBase + ch * th * tw;
    for (let i = 0; i < th; i++) {
      const r = rows[top + i], o = outPlane + i * tw;
      if (r < 0) {
        dst.fill(fill[ch], o, o + tw);
        continue;
      }
      const rowBase = plane + r * w;
      for (let j = 0; j < tw; j++) {
        const s = cols[left + j];
        dst[o + j] = s < 0 ? fill[ch] : src[rowBase + s];
      }
    }
  }
}
