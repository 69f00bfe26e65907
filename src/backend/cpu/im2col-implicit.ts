// Stride-1 convolution as an implicit GEMM over a zero-padded copy of the input.
//
// Copy one image's channels of a group into a scratch heap with their padding written out as
// zeros, Dp×Hp×Wp each. Number the output positions in the *padded* geometry, q = (oz·Hp + oy)·Wp
// + ox; then tap t = (ci, kz, ky, kx) of position q reads element q + T[t] of the padded volume,
// with T[t] = ci·Dp·Hp·Wp + (kz·dz·Hp + ky·dy)·Wp + kx·dx. The im2col matrix is therefore
// col[t, q] = X[q + T[t]]: a GEMM operand that needs no packing at all, only a table of tap
// offsets. Positions with oy ≥ Ho or ox ≥ Wo are computed too (a few percent of wasted work) and
// simply not copied out; they keep the position index linear across rows, which lets the
// micro-kernel run one flat loop over the whole image.
//
//   forward          y[co, q]  = Σ_t w[co, t] · X[q + T[t]]                  (kernel `forward`)
//   backward-filter  gw[co, t] += Σ_q gy[co, q] · X[q + T[t]]                 (kernel `filter`)
//   backward-data    a forward convolution of gy, padded by d·(k−1) − pad, with the weights
//                    flipped and their two channel dims swapped
//
// This path needs stride 1 in every dim (other strides break the linear position index) and
// is used when a padded image fits the scratch heap; everything else goes through the packed
// im2col GEMM (im2col.ts). Like gemm-kernel.ts, the loops are asm.js (see there for why).

import type { FloatArray } from "./gemm.js";
import type { ConvGeometry } from "./im2col.js";

interface ImplicitKernels {
  /**
   * Y[yOff + (4P + r)·L + q + j] = Σ_p W[wOff + (P·taps + p)·4 + r] · X[xOff + q + j + T[tOff + p]]
   * for panels P < panels, q < L step 4, r, j < 4. Element offsets; T is the Int32 view.
   */
  forward(panels: number, L: number, taps: number, wOff: number, tOff: number, xOff: number, yOff: number): void;
  /**
   * W[wOff + (4P + r)·ldw + 4U + j] += Σ_{q<L} G[gOff + (P·L + q)·4 + r] · X[xOff + q + T[tOff + 4U + j]]
   * for panels P, tap panels U, r, j < 4.
   */
  filter(panels: number, tapPanels: number, L: number, gOff: number, tOff: number, xOff: number, wOff: number, ldw: number): void;
}

function asmSource(): string {
  const R = [0, 1, 2, 3];
  const acc = (r: number, j: number): string => `c${r}${j}`;
  const accDecl = `var ${R.flatMap((r) => R.map((j) => `${acc(r, j)} = 0.0`)).join(", ")};`;
  const accZero = R.flatMap((r) => R.map((j) => `${acc(r, j)} = 0.0;`)).join(" ");
  return [
    `"use asm";`,
    `var H = new stdlib.Float64Array(heap);`,
    `var I = new stdlib.Int32Array(heap);`,
    `var imul = stdlib.Math.imul;`,
    // ---- forward: 4 output channels × 4 consecutive positions per tile
    `function forward(panels, L, taps, wOff, tOff, xOff, yOff) {`,
    `panels = panels | 0; L = L | 0; taps = taps | 0; wOff = wOff | 0; tOff = tOff | 0; xOff = xOff | 0; yOff = yOff | 0;`,
    `var P = 0, q = 0, p = 0, wi = 0, ti = 0, xi = 0, yi = 0, b0 = 0, rowBytes = 0;`,
    `var b = 0.0, a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;`,
    accDecl,
    `rowBytes = L << 3;`,
    `for (P = 0; (P | 0) < (panels | 0); P = (P + 1) | 0) {`,
    `for (q = 0; (q | 0) < (L | 0); q = (q + 4) | 0) {`,
    `wi = ((wOff << 3) + imul(P, taps << 5)) | 0;`,
    `ti = tOff << 2;`,
    `xi = (xOff + q) << 3;`,
    accZero,
    `for (p = 0; (p | 0) < (taps | 0); p = (p + 1) | 0) {`,
    ...R.map((r) => `a${r} = +H[(wi + ${8 * r}) >> 3];`),
    `b0 = (xi + (I[ti >> 2] << 3)) | 0;`,
    ...R.flatMap((j) => [
      `b = +H[(b0 + ${8 * j}) >> 3];`,
      R.map((r) => `${acc(r, j)} = ${acc(r, j)} + a${r} * b;`).join(" "),
    ]),
    `wi = (wi + 32) | 0; ti = (ti + 4) | 0;`,
    `}`,
    `yi = ((yOff << 3) + (imul(P << 2, L) + q << 3)) | 0;`,
    ...R.flatMap((r) => [
      ...(r > 0 ? [`yi = (yi + rowBytes) | 0;`] : []),
      R.map((j) => `H[(yi + ${8 * j}) >> 3] = ${acc(r, j)};`).join(" "),
    ]),
    `}`,
    `}`,
    `}`,
    // ---- filter: 4 output channels × 4 taps per tile, reduced over positions
    `function filter(panels, tapPanels, L, gOff, tOff, xOff, wOff, ldw) {`,
    `panels = panels | 0; tapPanels = tapPanels | 0; L = L | 0; gOff = gOff | 0; tOff = tOff | 0; xOff = xOff | 0; wOff = wOff | 0; ldw = ldw | 0;`,
    `var P = 0, U = 0, q = 0, gi = 0, qi = 0, wi = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0, rowBytes = 0;`,
    `var b = 0.0, a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;`,
    accDecl,
    `rowBytes = ldw << 3;`,
    `for (P = 0; (P | 0) < (panels | 0); P = (P + 1) | 0) {`,
    `for (U = 0; (U | 0) < (tapPanels | 0); U = (U + 1) | 0) {`,
    ...R.map((j) => `t${j} = (xOff + (I[(tOff + (U << 2) + ${j}) << 2 >> 2] | 0)) << 3;`),
    `gi = (gOff + imul(P, L << 2)) << 3;`,
    `qi = 0;`,
    accZero,
    `for (q = 0; (q | 0) < (L | 0); q = (q + 1) | 0) {`,
    ...R.map((r) => `a${r} = +H[(gi + ${8 * r}) >> 3];`),
    ...R.flatMap((j) => [
      `b = +H[(t${j} + qi) >> 3];`,
      R.map((r) => `${acc(r, j)} = ${acc(r, j)} + a${r} * b;`).join(" "),
    ]),
    `gi = (gi + 32) | 0; qi = (qi + 8) | 0;`,
    `}`,
    `wi = ((wOff << 3) + (imul(P << 2, ldw) + (U << 2) << 3)) | 0;`,
    ...R.flatMap((r) => [
      ...(r > 0 ? [`wi = (wi + rowBytes) | 0;`] : []),
      R.map((j) => `H[(wi + ${8 * j}) >> 3] = +H[(wi + ${8 * j}) >> 3] + ${acc(r, j)};`).join(" "),
    ]),
    `}`,
    `}`,
    `}`,
    `return { forward: forward, filter: filter };`,
  ].join("\n");
}

type Factory = (stdlib: unknown, foreign: unknown, heap: ArrayBuffer) => ImplicitKernels;

/** The module factory, or null where code cannot be built at run time (then this path is off). */
const factory: Factory | null = (() => {
  try {
    return new Function("stdlib", "foreign", "heap", asmSource()) as Factory;
  } catch {
    return null;
  }
})();

let enabled = true;
/** @internal Turn this path off (tests use it to exercise the packed GEMM path on the same shapes). */
export function setImplicitConv(on: boolean): void {
  enabled = on;
}

/** Largest scratch heap this path will allocate; bigger images use the packed GEMM. */
const MAX_HEAP_BYTES = 1 << 26;

interface Heap {
  f64: Float64Array;
  i32: Int32Array;
  kernels: ImplicitKernels;
}
let heap: Heap | null = null;

/** A heap of at least `doubles` elements (grown to the next power of two, kept for reuse), or null. */
function heapFor(doubles: number): Heap | null {
  if (!factory) return null;
  const bytes = doubles * 8;
  if (bytes > MAX_HEAP_BYTES) return null;
  if (heap && heap.f64.length >= doubles) return heap;
  let size = 1 << 22;
  while (size < bytes) size *= 2;
  const buffer = new ArrayBuffer(size);
  heap = { f64: new Float64Array(buffer), i32: new Int32Array(buffer), kernels: factory(globalThis, null, buffer) };
  return heap;
}

const roundUp4 = (n: number): number => (n + 3) & ~3;

/**
 * One stride-1 convolution problem in padded coordinates: `inChannels` source volumes padded to
 * Dp×Hp×Wp, a kernel of extent k with dilation d, `outChannels` results of Do×Ho×Wo.
 */
interface PaddedProblem {
  inChannels: number;
  outChannels: number;
  padded: [number, number, number];
  out: [number, number, number];
  kernel: [number, number, number];
  dilation: [number, number, number];
  /** Padding before the source in each dim (negative crops). */
  padBefore: [number, number, number];
  /** The source volume's extent. */
  source: [number, number, number];
}

function problem(
  inChannels: number, outChannels: number, source: [number, number, number], kernel: [number, number, number],
  dilation: [number, number, number], padBefore: [number, number, number], padAfter: [number, number, number],
): PaddedProblem {
  const padded = source.map((n, i) => n + padBefore[i] + padAfter[i]) as [number, number, number];
  const out = padded.map((n, i) => n - dilation[i] * (kernel[i] - 1)) as [number, number, number];
  return { inChannels, outChannels, padded, out, kernel, dilation, padBefore, source };
}

/** Heap layout for one problem: weights, tap table, padded source, results. Offsets in doubles. */
function layout(pr: PaddedProblem) {
  const taps = pr.inChannels * pr.kernel[0] * pr.kernel[1] * pr.kernel[2];
  const volume = pr.padded[0] * pr.padded[1] * pr.padded[2];
  // Positions in padded numbering that the result needs: up to the last valid one, rounded to 4.
  const L = roundUp4((pr.out[0] - 1) * pr.padded[1] * pr.padded[2] + (pr.out[1] - 1) * pr.padded[2] + pr.out[2]);
  const panels = Math.ceil(pr.outChannels / 4);
  const tapsPadded = roundUp4(taps);
  const wOff = 0;
  const wLen = panels * 4 * tapsPadded;
  const tOff = wOff + wLen; // in doubles; the Int32 view indexes it at 2·tOff
  const tLen = Math.ceil(tapsPadded / 2);
  const xOff = tOff + tLen;
  const xLen = pr.inChannels * volume + 8; // zero slack: the last tile reads up to 3 positions past the volume
  const yOff = xOff + xLen;
  const yLen = panels * 4 * L;
  return { taps, tapsPadded, volume, L, panels, wOff, tOff, xOff, yOff, total: yOff + yLen };
}

/** Write the tap offsets T[t] (padded-volume element offsets) at the table; pad entries repeat 0. */
function writeTaps(h: Heap, tIndex: number, pr: PaddedProblem, volume: number, count: number): void {
  const [kd, kh, kw] = pr.kernel, [dd, dh, dw] = pr.dilation, [, Hp, Wp] = pr.padded;
  let t = 0;
  for (let ci = 0; ci < pr.inChannels; ci++) {
    for (let kz = 0; kz < kd; kz++) {
      for (let ky = 0; ky < kh; ky++) {
        for (let kx = 0; kx < kw; kx++) h.i32[tIndex + t++] = ci * volume + (kz * dd * Hp + ky * dh) * Wp + kx * dw;
      }
    }
  }
  for (; t < count; t++) h.i32[tIndex + t] = 0;
}

/** Copy `channels` source volumes (channel stride `cs`) into the heap, zero-padded to Dp×Hp×Wp. */
function copyPadded(H: Float64Array, dst: number, src: FloatArray, srcOff: number, cs: number, channels: number, pr: PaddedProblem): void {
  const [D, Hs, W] = pr.source, [Dp, Hp, Wp] = pr.padded, [pz, py, px] = pr.padBefore;
  const x0 = Math.max(0, px), xs0 = x0 - px; // first destination column with data, and its source column
  const width = Math.max(0, Math.min(Wp, W + px) - x0);
  for (let c = 0; c < channels; c++) {
    for (let z = 0; z < Dp; z++) {
      const sz = z - pz;
      for (let y = 0; y < Hp; y++, dst += Wp) {
        const sy = y - py;
        if (sz < 0 || sz >= D || sy < 0 || sy >= Hs || width === 0) {
          H.fill(0, dst, dst + Wp);
          continue;
        }
        let s = srcOff + c * cs + (sz * Hs + sy) * W + xs0;
        let d = dst;
        for (let x = 0; x < x0; x++) H[d++] = 0;
        for (let x = 0; x < width; x++) H[d++] = src[s++];
        for (let x = x0 + width; x < Wp; x++) H[d++] = 0;
      }
    }
  }
}

/**
 * Run a prepared problem for one image: source volumes in, `outChannels` results out to
 * dst[dstOff + co·cs + position] (overwrite). Weights and taps must already be in the heap.
 */
function forwardImage(h: Heap, pr: PaddedProblem, lay: ReturnType<typeof layout>, src: FloatArray, srcOff: number, srcCs: number, dst: FloatArray, dstOff: number, dstCs: number): void {
  copyPadded(h.f64, lay.xOff, src, srcOff, srcCs, pr.inChannels, pr);
  h.f64.fill(0, lay.xOff + pr.inChannels * lay.volume, lay.yOff);
  h.kernels.forward(lay.panels, lay.L, lay.taps, lay.wOff, 2 * lay.tOff, lay.xOff, lay.yOff);
  const [Do, Ho, Wo] = pr.out, [, Hp, Wp] = pr.padded;
  const H = h.f64;
  for (let co = 0; co < pr.outChannels; co++) {
    let d = dstOff + co * dstCs;
    for (let z = 0; z < Do; z++) {
      for (let y = 0; y < Ho; y++) {
        let s = lay.yOff + co * lay.L + (z * Hp + y) * Wp;
        for (let x = 0; x < Wo; x++) dst[d++] = H[s++];
      }
    }
  }
}

/** Pack weight rows into 4-row panels: value (row r, tap t) from w[rowOffset(r) + tapOffset(t)]. */
function packWeights(H: Float64Array, dst: number, rows: number, taps: number, read: (r: number, t: number) => number): void {
  const panels = Math.ceil(rows / 4);
  for (let P = 0; P < panels; P++) {
    for (let t = 0; t < taps; t++, dst += 4) {
      for (let r = 0; r < 4; r++) {
        const row = P * 4 + r;
        H[dst + r] = row < rows ? read(row, t) : 0;
      }
    }
  }
}

const isStrideOne = (g: ConvGeometry): boolean => enabled && g.stride[0] === 1 && g.stride[1] === 1 && g.stride[2] === 1;

/** Forward convolution through the implicit GEMM; false when this path does not apply. */
export function implicitConvForward(g: ConvGeometry, X: FloatArray, xOff: number, W: FloatArray, wOff: number, O: FloatArray, oOff: number): boolean {
  if (!isStrideOne(g)) return false;
  const pr = problem(g.inPerGroup, g.outPerGroup, g.inSize, g.kernel, g.dilation, g.pad, padAfter(g));
  const lay = layout(pr);
  const h = heapFor(lay.total);
  if (!h) return false;
  const taps = lay.taps;
  for (let grp = 0; grp < g.groups; grp++) {
    const wBase = wOff + grp * g.outPerGroup * taps;
    packWeights(h.f64, lay.wOff, g.outPerGroup, taps, (r, t) => W[wBase + r * taps + t]);
    writeTaps(h, 2 * lay.tOff, pr, lay.volume, lay.tapsPadded);
    for (let n = 0; n < g.batch; n++) {
      forwardImage(
        h, pr, lay,
        X, xOff + (n * g.inChannels + grp * g.inPerGroup) * g.inPlane, g.inPlane,
        O, oOff + (n * g.outChannels + grp * g.outPerGroup) * g.outPlane, g.outPlane,
      );
    }
  }
  return true;
}

/** The padding after each dim, recovered from the sizes (the geometry stores only the before side). */
function padAfter(g: ConvGeometry): [number, number, number] {
  return [0, 1, 2].map((i) => (g.outSize[i] - 1) * g.stride[i] + g.dilation[i] * (g.kernel[i] - 1) + 1 - g.inSize[i] - g.pad[i]) as [number, number, number];
}

/**
 * Backward-data as a forward convolution of gy with flipped, channel-swapped weights and
 * padding d·(k−1) − pad on each side (negative padding crops); false when it does not apply.
 */
export function implicitConvBackwardData(g: ConvGeometry, GY: FloatArray, gyOff: number, W: FloatArray, wOff: number, GX: FloatArray, gxOff: number): boolean {
  if (!isStrideOne(g)) return false;
  const after = padAfter(g);
  const span = g.kernel.map((k, i) => g.dilation[i] * (k - 1));
  const pr = problem(
    g.outPerGroup, g.inPerGroup, g.outSize, g.kernel, g.dilation,
    span.map((s, i) => s - g.pad[i]) as [number, number, number],
    span.map((s, i) => s - after[i]) as [number, number, number],
  );
  const lay = layout(pr);
  const h = heapFor(lay.total);
  if (!h) return false;
  const [kd, kh, kw] = g.kernel, perChannel = kd * kh * kw, taps = g.taps;
  for (let grp = 0; grp < g.groups; grp++) {
    const wBase = wOff + grp * g.outPerGroup * taps;
    // Row ci of the flipped weights, tap (co, kz, ky, kx) = w[co, ci, kd−1−kz, kh−1−ky, kw−1−kx].
    packWeights(h.f64, lay.wOff, g.inPerGroup, lay.taps, (ci, t) => {
      const co = Math.floor(t / perChannel), k = t - co * perChannel;
      return W[wBase + co * taps + ci * perChannel + (perChannel - 1 - k)];
    });
    writeTaps(h, 2 * lay.tOff, pr, lay.volume, lay.tapsPadded);
    for (let n = 0; n < g.batch; n++) {
      forwardImage(
        h, pr, lay,
        GY, gyOff + (n * g.outChannels + grp * g.outPerGroup) * g.outPlane, g.outPlane,
        GX, gxOff + (n * g.inChannels + grp * g.inPerGroup) * g.inPlane, g.inPlane,
      );
    }
  }
  return true;
}

/** Backward-filter through the implicit GEMM, summed over the batch; false when it does not apply. */
export function implicitConvBackwardFilter(g: ConvGeometry, X: FloatArray, xOff: number, GY: FloatArray, gyOff: number, GW: FloatArray, gwOff: number): boolean {
  if (!isStrideOne(g)) return false;
  const pr = problem(g.inPerGroup, g.outPerGroup, g.inSize, g.kernel, g.dilation, g.pad, padAfter(g));
  const lay = layout(pr);
  // Reuse the layout's regions: packed gy ([panel][q][4]) where the weights would be, the
  // gradient accumulator (rows of tapsPadded) where the results would be.
  const gLen = lay.panels * lay.L * 4;
  const gOff = lay.yOff + lay.panels * 4 * lay.tapsPadded;
  const h = heapFor(gOff + gLen);
  if (!h) return false;
  const H = h.f64;
  const [Do, Ho, Wo] = pr.out, [, Hp, Wp] = pr.padded;
  for (let grp = 0; grp < g.groups; grp++) {
    writeTaps(h, 2 * lay.tOff, pr, lay.volume, lay.tapsPadded);
    H.fill(0, lay.yOff, lay.yOff + lay.panels * 4 * lay.tapsPadded);
    for (let n = 0; n < g.batch; n++) {
      copyPadded(H, lay.xOff, X, xOff + (n * g.inChannels + grp * g.inPerGroup) * g.inPlane, g.inPlane, pr.inChannels, pr);
      H.fill(0, lay.xOff + pr.inChannels * lay.volume, lay.yOff);
      // gy in padded numbering, 4 channels interleaved per position, zero where no output is.
      H.fill(0, gOff, gOff + gLen);
      const gyBase = gyOff + (n * g.outChannels + grp * g.outPerGroup) * g.outPlane;
      for (let co = 0; co < g.outPerGroup; co++) {
        const P = co >> 2, r = co & 3;
        let s = gyBase + co * g.outPlane;
        for (let z = 0; z < Do; z++) {
          for (let y = 0; y < Ho; y++) {
            let d = gOff + (P * lay.L + (z * Hp + y) * Wp) * 4 + r;
            for (let x = 0; x < Wo; x++, d += 4) H[d] = GY[s++];
          }
        }
      }
      h.kernels.filter(lay.panels, lay.tapsPadded / 4, lay.L, gOff, 2 * lay.tOff, lay.xOff, lay.yOff, lay.tapsPadded);
    }
    const wBase = gwOff + grp * g.outPerGroup * lay.taps;
    for (let co = 0; co < g.outPerGroup; co++) {
      for (let t = 0; t < lay.taps; t++) GW[wBase + co * lay.taps + t] = H[lay.yOff + co * lay.tapsPadded + t];
    }
  }
  return true;
}
