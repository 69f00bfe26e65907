// Stride-1 convolution as an implicit GEMM over a zero-padded copy of the input.
//
// Copy one image's channels of a group into a scratch heap with their padding written out as
// zeros, Dp×Hp×Wp each. Number the output positions in the *padded* geometry, q = (oz·Hp + oy)·Wp
// + ox; then tap t = (ci, kz, ky, kx) of position q reads element q + T[t] of the padded volume,
// with T[t] = ci·Dp·Hp·Wp + (kz·dz·Hp + ky·dy)·Wp + kx·dx. The im2col matrix is therefore
// col[t, q] = X[q + T[t]]: a GEMM operand that needs no packing at all, only a table of tap
// offsets. In the forward kernel, positions with oy ≥ Ho or ox ≥ Wo are computed too (a few
// percent of wasted work) and simply not copied out; they keep the position index linear across
// rows, which lets the micro-kernel run one flat loop over the whole image.
//
//   forward          y[co, q]  = Σ_t w[co, t] · X[q + T[t]]                  (kernel `forward`)
//   backward-filter  gw[co, t] += Σ_q gy[co, q] · X[q + T[t]], over valid q   (kernel `filter`)
//   backward-data    a forward convolution of gy, padded by d·(k−1) − pad, with the weights
//                    flipped and their two channel dims swapped
//
// Data moves in and out with TypedArray.set (a native bulk copy and float32↔float64 conversion)
// plus asm.js loops that insert the padding and drop the extra positions; element-by-element
// JavaScript copies cost as much as the arithmetic on a small layer.
//
// This path needs stride 1 in every dim (other strides break the linear position index) and
// is used when a padded image fits the scratch heap; everything else goes through the packed
// im2col GEMM (im2col.ts). Like gemm-kernel.ts, the loops are asm.js (see there for why).

import type { FloatArray } from "./gemm.js";
import type { ConvGeometry } from "./im2col.js";

interface ImplicitKernels {
  /**
   * Y[yOff + (4P + r)·L + q + j] = Σ_p W[wOff + (P·taps + p)·4 + r] · X[xOff + q + j + T[tOff + p]]
   * for panels P < panels, q < L step 4, r, j < 4. Element offsets; T is read through the Int32 view.
   */
  forward(panels: number, L: number, taps: number, wOff: number, tOff: number, xOff: number, yOff: number): void;
  /**
   * W[wOff + (4P + r)·ldw + 4U + j] += Σ_v G[gOff + (4P + r)·V + v] · X[xOff + q(v) + T[tOff + 4U + j]]
   * for panels P, tap panels U, r, j < 4, where v counts the V = Do·Ho·Wo output positions in
   * order and q(v) = z·sliceStride + y·rowStride + x is the padded numbering of position (z, y, x).
   */
  filter(
    panels: number, tapPanels: number, Do: number, Ho: number, Wo: number, sliceStride: number, rowStride: number,
    gOff: number, tOff: number, xOff: number, wOff: number, ldw: number,
  ): void;
  /** Write `channels` D×Hs×W volumes from src as Dp×Hp×Wp volumes at dst, shifted by the padding (zeros outside). */
  expand(src: number, dst: number, channels: number, D: number, Hs: number, W: number, Dp: number, Hp: number, Wp: number, pz: number, py: number, px: number): void;
  /** Gather the valid positions of each channel's padded-numbered row block (stride L) into a dense [channel][Do·Ho·Wo] block. */
  compact(src: number, dst: number, channels: number, Do: number, Ho: number, Wo: number, L: number, sliceStride: number, rowStride: number): void;
  /** compact, rounding to float32 into the Float32 view (dst in float32 elements). */
  compact32(src: number, dst: number, channels: number, Do: number, Ho: number, Wo: number, L: number, sliceStride: number, rowStride: number): void;
}

function asmSource(): string {
  const R = [0, 1, 2, 3];
  const acc = (r: number, j: number): string => `c${r}${j}`;
  const accDecl = `var ${R.flatMap((r) => R.map((j) => `${acc(r, j)} = 0.0`)).join(", ")};`;
  const accZero = R.flatMap((r) => R.map((j) => `${acc(r, j)} = 0.0;`)).join(" ");
  return [
    `"use asm";`,
    `var H = new stdlib.Float64Array(heap);`,
    `var F = new stdlib.Float32Array(heap);`,
    `var I = new stdlib.Int32Array(heap);`,
    `var imul = stdlib.Math.imul;`,
    `var fround = stdlib.Math.fround;`,
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
    // ---- filter: 4 output channels × 4 taps per tile, reduced over the valid positions only
    // (a padded-numbering position past the output would pair gy = 0 with an input element no
    // window reads, and 0·∞ must not leak into the gradient)
    `function filter(panels, tapPanels, Do, Ho, Wo, sliceStride, rowStride, gOff, tOff, xOff, wOff, ldw) {`,
    `panels = panels | 0; tapPanels = tapPanels | 0; Do = Do | 0; Ho = Ho | 0; Wo = Wo | 0; sliceStride = sliceStride | 0; rowStride = rowStride | 0;`,
    `gOff = gOff | 0; tOff = tOff | 0; xOff = xOff | 0; wOff = wOff | 0; ldw = ldw | 0;`,
    `var P = 0, U = 0, z = 0, y = 0, x = 0, vi = 0, qi = 0, wi = 0, rowBytes = 0, planeBytes = 0;`,
    `var g0 = 0, g1 = 0, g2 = 0, g3 = 0, t0 = 0, t1 = 0, t2 = 0, t3 = 0;`,
    `var b = 0.0, a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;`,
    accDecl,
    `rowBytes = ldw << 3;`,
    `planeBytes = imul(imul(Do, Ho), Wo) << 3;`,
    `for (P = 0; (P | 0) < (panels | 0); P = (P + 1) | 0) {`,
    `g0 = ((gOff << 3) + imul(P << 2, planeBytes)) | 0;`,
    `g1 = (g0 + planeBytes) | 0; g2 = (g1 + planeBytes) | 0; g3 = (g2 + planeBytes) | 0;`,
    `for (U = 0; (U | 0) < (tapPanels | 0); U = (U + 1) | 0) {`,
    ...R.map((j) => `t${j} = (xOff + (I[(tOff + (U << 2) + ${j}) << 2 >> 2] | 0)) << 3;`),
    `vi = 0;`,
    accZero,
    `for (z = 0; (z | 0) < (Do | 0); z = (z + 1) | 0) {`,
    `for (y = 0; (y | 0) < (Ho | 0); y = (y + 1) | 0) {`,
    `qi = (imul(z, sliceStride) + imul(y, rowStride)) << 3;`,
    `for (x = 0; (x | 0) < (Wo | 0); x = (x + 1) | 0) {`,
    ...R.map((r) => `a${r} = +H[(g${r} + vi) >> 3];`),
    ...R.flatMap((j) => [
      `b = +H[(t${j} + qi) >> 3];`,
      R.map((r) => `${acc(r, j)} = ${acc(r, j)} + a${r} * b;`).join(" "),
    ]),
    `vi = (vi + 8) | 0; qi = (qi + 8) | 0;`,
    `}`,
    `}`,
    `}`,
    `wi = ((wOff << 3) + (imul(P << 2, ldw) + (U << 2) << 3)) | 0;`,
    ...R.flatMap((r) => [
      ...(r > 0 ? [`wi = (wi + rowBytes) | 0;`] : []),
      R.map((j) => `H[(wi + ${8 * j}) >> 3] = +H[(wi + ${8 * j}) >> 3] + ${acc(r, j)};`).join(" "),
    ]),
    `}`,
    `}`,
    `}`,
    // ---- expand: dense volumes → zero-padded volumes (negative padding crops)
    `function expand(src, dst, channels, D, Hs, W, Dp, Hp, Wp, pz, py, px) {`,
    `src = src | 0; dst = dst | 0; channels = channels | 0; D = D | 0; Hs = Hs | 0; W = W | 0;`,
    `Dp = Dp | 0; Hp = Hp | 0; Wp = Wp | 0; pz = pz | 0; py = py | 0; px = px | 0;`,
    `var c = 0, z = 0, y = 0, x = 0, sz = 0, sy = 0, sx = 0, row = 0, d = 0;`,
    `d = dst << 3;`,
    `for (c = 0; (c | 0) < (channels | 0); c = (c + 1) | 0) {`,
    `for (z = 0; (z | 0) < (Dp | 0); z = (z + 1) | 0) {`,
    `sz = (z - pz) | 0;`,
    `for (y = 0; (y | 0) < (Hp | 0); y = (y + 1) | 0) {`,
    `sy = (y - py) | 0;`,
    `if (((sz | 0) < 0) | ((sz | 0) >= (D | 0)) | ((sy | 0) < 0) | ((sy | 0) >= (Hs | 0))) {`,
    `for (x = 0; (x | 0) < (Wp | 0); x = (x + 1) | 0) { H[d >> 3] = 0.0; d = (d + 8) | 0; }`,
    `} else {`,
    `row = (src + imul(imul(c, D) + sz | 0, imul(Hs, W)) + imul(sy, W)) << 3;`,
    `for (x = 0; (x | 0) < (Wp | 0); x = (x + 1) | 0) {`,
    `sx = (x - px) | 0;`,
    `H[d >> 3] = ((sx | 0) >= 0) & ((sx | 0) < (W | 0)) ? +H[(row + (sx << 3)) >> 3] : 0.0;`,
    `d = (d + 8) | 0;`,
    `}`,
    `}`,
    `}`,
    `}`,
    `}`,
    `}`,
    // ---- compact: padded-numbered results → dense [channel][Do·Ho·Wo], as float64 (H) or,
    // rounded, as float32 (F, dst then counts float32 elements) so the copy out is a memcpy
    ...(["compact", "compact32"] as const).flatMap((name) => [
      `function ${name}(src, dst, channels, Do, Ho, Wo, L, sliceStride, rowStride) {`,
      `src = src | 0; dst = dst | 0; channels = channels | 0; Do = Do | 0; Ho = Ho | 0; Wo = Wo | 0;`,
      `L = L | 0; sliceStride = sliceStride | 0; rowStride = rowStride | 0;`,
      `var c = 0, z = 0, y = 0, x = 0, s = 0, d = 0;`,
      name === "compact" ? `d = dst << 3;` : `d = dst << 2;`,
      `for (c = 0; (c | 0) < (channels | 0); c = (c + 1) | 0) {`,
      `for (z = 0; (z | 0) < (Do | 0); z = (z + 1) | 0) {`,
      `for (y = 0; (y | 0) < (Ho | 0); y = (y + 1) | 0) {`,
      `s = (src + imul(c, L) + imul(z, sliceStride) + imul(y, rowStride)) << 3;`,
      `for (x = 0; (x | 0) < (Wo | 0); x = (x + 1) | 0) {`,
      name === "compact" ? `H[d >> 3] = +H[s >> 3]; d = (d + 8) | 0;` : `F[d >> 2] = fround(+H[s >> 3]); d = (d + 4) | 0;`,
      `s = (s + 8) | 0;`,
      `}`,
      `}`,
      `}`,
      `}`,
      `}`,
    ]),
    `return { forward: forward, filter: filter, expand: expand, compact: compact, compact32: compact32 };`,
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
  f32: Float32Array;
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
  heap = { f64: new Float64Array(buffer), f32: new Float32Array(buffer), i32: new Int32Array(buffer), kernels: factory(globalThis, null, buffer) };
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

/** Scratch regions for one problem, offsets in doubles (the tap table is read as Int32 at 2·tOff). */
function layout(pr: PaddedProblem) {
  const taps = pr.inChannels * pr.kernel[0] * pr.kernel[1] * pr.kernel[2];
  const volume = pr.padded[0] * pr.padded[1] * pr.padded[2];
  const sourceVolume = pr.source[0] * pr.source[1] * pr.source[2];
  const valid = pr.out[0] * pr.out[1] * pr.out[2];
  // Positions in padded numbering that the result needs: up to the last valid one, rounded to 4.
  const L = roundUp4((pr.out[0] - 1) * pr.padded[1] * pr.padded[2] + (pr.out[1] - 1) * pr.padded[2] + pr.out[2]);
  const panels = Math.ceil(pr.outChannels / 4);
  const tapsPadded = roundUp4(taps);
  let end = 0;
  const region = (len: number): number => {
    const at = end;
    end += len;
    return at;
  };
  return {
    taps, tapsPadded, volume, sourceVolume, valid, L, panels,
    /** Packed weights ([panel][tap][4]); the filter kernel accumulates its gradient here instead. */
    wOff: region(panels * 4 * tapsPadded),
    tOff: region(Math.ceil(tapsPadded / 2)),
    /** The dense source as copied from the tensor (when padding must be inserted). */
    sOff: region(pr.inChannels * sourceVolume),
    /** Padded volumes plus zero slack: the last tile reads up to 3 positions past them. */
    xOff: region(pr.inChannels * volume + 8),
    /** Forward results in padded numbering; the filter kernel's planar gy instead. */
    yOff: region(panels * 4 * Math.max(L, valid)),
    /** Forward results, dense. */
    zOff: region(pr.outChannels * valid),
    total: end,
  };
}
type Layout = ReturnType<typeof layout>;

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

/**
 * Bring `inChannels` dense source volumes starting at src[srcOff] into the heap as padded volumes
 * at xOff, followed by zero slack. TypedArray.set does the bulk copy (and float32 → float64
 * conversion) natively, many times faster than an element loop; asm.js inserts the padding.
 */
function loadPadded(h: Heap, pr: PaddedProblem, lay: Layout, src: FloatArray, srcOff: number): void {
  const n = pr.inChannels * lay.sourceVolume;
  const unpadded = pr.padBefore.every((p) => p === 0) && pr.padded.every((p, i) => p === pr.source[i]);
  if (unpadded) {
    h.f64.set(src.subarray(srcOff, srcOff + n), lay.xOff);
  } else {
    h.f64.set(src.subarray(srcOff, srcOff + n), lay.sOff);
    const [D, Hs, W] = pr.source, [Dp, Hp, Wp] = pr.padded, [pz, py, px] = pr.padBefore;
    h.kernels.expand(lay.sOff, lay.xOff, pr.inChannels, D, Hs, W, Dp, Hp, Wp, pz, py, px);
  }
  const slack = lay.xOff + pr.inChannels * lay.volume;
  h.f64.fill(0, slack, slack + 8);
}

/**
 * Run a prepared problem for one image: source volumes in, `outChannels` dense results out to
 * dst[dstOff…] (overwrite). Weights and taps must already be in the heap.
 */
function forwardImage(h: Heap, pr: PaddedProblem, lay: Layout, src: FloatArray, srcOff: number, dst: FloatArray, dstOff: number): void {
  loadPadded(h, pr, lay, src, srcOff);
  h.kernels.forward(lay.panels, lay.L, lay.taps, lay.wOff, 2 * lay.tOff, lay.xOff, lay.yOff);
  const [Do, Ho, Wo] = pr.out, [, Hp, Wp] = pr.padded;
  const n = pr.outChannels * lay.valid;
  if (dst instanceof Float32Array) {
    h.kernels.compact32(lay.yOff, 2 * lay.zOff, pr.outChannels, Do, Ho, Wo, lay.L, Hp * Wp, Wp);
    dst.set(h.f32.subarray(2 * lay.zOff, 2 * lay.zOff + n), dstOff);
  } else {
    h.kernels.compact(lay.yOff, lay.zOff, pr.outChannels, Do, Ho, Wo, lay.L, Hp * Wp, Wp);
    dst.set(h.f64.subarray(lay.zOff, lay.zOff + n), dstOff);
  }
}

/** Pack weight rows into 4-row panels: value (row r, tap t) from read(r, t), rows past `rows` zero. */
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
        X, xOff + (n * g.inChannels + grp * g.inPerGroup) * g.inPlane,
        O, oOff + (n * g.outChannels + grp * g.outPerGroup) * g.outPlane,
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
        GY, gyOff + (n * g.outChannels + grp * g.outPerGroup) * g.outPlane,
        GX, gxOff + (n * g.inChannels + grp * g.inPerGroup) * g.inPlane,
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
  const h = heapFor(lay.total);
  if (!h) return false;
  const H = h.f64;
  const [Do, Ho, Wo] = pr.out, [, Hp, Wp] = pr.padded;
  // The gradient accumulates in the weights' region (rows of tapsPadded); gy is copied planar,
  // [channel][position], into the results' region, its panel-padding channels left zero.
  const accLen = lay.panels * 4 * lay.tapsPadded;
  const gyLen = g.outPerGroup * lay.valid;
  for (let grp = 0; grp < g.groups; grp++) {
    writeTaps(h, 2 * lay.tOff, pr, lay.volume, lay.tapsPadded);
    H.fill(0, lay.wOff, lay.wOff + accLen);
    H.fill(0, lay.yOff + gyLen, lay.yOff + lay.panels * 4 * lay.valid);
    for (let n = 0; n < g.batch; n++) {
      loadPadded(h, pr, lay, X, xOff + (n * g.inChannels + grp * g.inPerGroup) * g.inPlane);
      const gyBase = gyOff + (n * g.outChannels + grp * g.outPerGroup) * g.outPlane;
      H.set(GY.subarray(gyBase, gyBase + gyLen), lay.yOff);
      h.kernels.filter(lay.panels, lay.tapsPadded / 4, Do, Ho, Wo, Hp * Wp, Wp, lay.yOff, 2 * lay.tOff, lay.xOff, lay.wOff, lay.tapsPadded);
    }
    const wBase = gwOff + grp * g.outPerGroup * lay.taps;
    for (let co = 0; co < g.outPerGroup; co++) {
      for (let t = 0; t < lay.taps; t++) GW[wBase + co * lay.taps + t] = H[lay.wOff + co * lay.tapsPadded + t];
    }
  }
  return true;
}
